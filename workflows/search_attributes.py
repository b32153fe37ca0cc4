"""Search attributes the order workflow keeps current, so ops can filter orders in the Temporal UI.

No personal data goes in here: search attributes are stored and indexed in plain text.
"""

from temporalio.common import SearchAttributeKey

ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
EXPECTED_FULFILLMENT_DATE = SearchAttributeKey.for_datetime("ExpectedFulfillmentDate")

ALL = (ORDER_STATUS, EXPECTED_FULFILLMENT_DATE)
