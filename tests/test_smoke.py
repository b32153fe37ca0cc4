from models.order import OrderStatus
from starter import orders
from tests.conftest import sofa_form, wait_for


async def test_smoke(client, settings, worker):
    result = await orders.submit_order(client, settings, sofa_form(order_id="SMOKE-1"))
    print(result)
    view = await wait_for(client, "SMOKE-1", lambda v: v.status is OrderStatus.confirmed)
    print(view.model_dump_json(indent=1))
