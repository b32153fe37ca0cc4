"""Customer data in Temporal: every payload is encrypted (AES-256-GCM) before it leaves the process.

Workflow inputs, results, activity arguments, update and query payloads, the workflow's static summary and (through
the failure converter's encoded attributes) error messages and stack traces all pass through this codec, so the
names, emails, phone numbers and addresses in an order are unreadable in Temporal's history, in its database and in
the Web UI (without the codec server, `starter/codec_server.py`). Search attributes are not: they hold none.

An encrypted payload has the metadata `encoding: binary/encrypted` and `encryption-key-id: <id>`; its data is a fresh
12-byte nonce followed by the AES-GCM ciphertext (with its 16-byte tag) of the whole original payload — zlib-compressed
first when that makes a payload over 200 bytes smaller, marked `compression: zlib` (notices and the order's input
are JSON that compresses to about half). The key id and the compression mark are bound as associated data, so a
payload cannot be relabelled to another key, or said to be compressed when it is not. (Compression makes a payload's
length depend on its content; the lengths are visible to whoever reads the history, the content is not.)

Keys come from settings: `ORDERLY_ENCRYPTION_KEYS` (key id -> base64 of 32 random bytes, as a JSON object or
`id:key,id:key`) and `ORDERLY_ENCRYPTION_KEY_ID` (the key new payloads are encrypted with; optional when there is
one key). Decryption uses whichever key a payload names, so rotating is: add a new key, point the key id at it, keep
the old key for as long as any history written with it may be read. Payloads that are not `binary/encrypted` (stored
histories and orders from before encryption was turned on) are passed through unchanged.

Without keys a client or worker refuses to start, unless `ORDERLY_ENCRYPTION=off` says explicitly that payloads are
to be stored in clear (with keys, `off` still decrypts what was encrypted, but encrypts nothing new).

Clients decrypt strictly: a payload they cannot decrypt raises PayloadDecryptionError. The worker's codec is
lenient (`lenient_converter`): such a payload becomes a placeholder (`models/undecodable.py`) instead, so one message
nobody can read (sent with the Temporal CLI under an unknown key, or altered) does not fail every later workflow
task of the order; the workflow sees the placeholder and drops the message.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
import re
import zlib
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from pydantic_core import SchemaSerializer, core_schema
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import CompositePayloadConverter, DefaultPayloadConverter, JSONPlainPayloadConverter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

from models.settings import Settings
from models.undecodable import undecodable_payload

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_SIZE = 12
NULL = b"binary/null"
COMPRESSION = "compression"  # metadata of an encrypted payload whose plaintext was compressed first
ZLIB = b"zlib"
COMPRESS_OVER = 200  # bytes: smaller payloads gain nothing from compression
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
NO_KEYS = ("Temporal payload encryption has no key: customer names, emails, phone numbers and addresses would be "
           "stored in clear in Temporal's history. Set ORDERLY_ENCRYPTION_KEYS (key id -> base64 of 32 random bytes, "
           "e.g. ORDERLY_ENCRYPTION_KEYS='2026-11:'\"$(openssl rand -base64 32)\") and ORDERLY_ENCRYPTION_KEY_ID, "
           "or set ORDERLY_ENCRYPTION=off to store payloads unencrypted on purpose (`orderly dev` makes a key in "
           "var/secrets.json by itself)")


class EncryptionSettingsError(ValueError):
    """The encryption settings cannot work (no key, a malformed key, an unknown current key id)."""


class PayloadDecryptionError(ValueError):
    """An encrypted payload could not be decrypted: an unknown key id, or data that was altered."""


def new_key() -> str:
    """A fresh key, as it goes in ORDERLY_ENCRYPTION_KEYS: base64 of 32 random bytes."""
    return base64.b64encode(os.urandom(32)).decode()


def parse_keys(raw: str) -> dict[str, bytes]:
    """`{"id": "base64", ...}` or `id:base64,id:base64` -> {id: 32-byte key}. Errors name the key id, never a key."""
    raw = raw.strip()
    if not raw:
        return {}
    if raw.startswith("{"):
        try:
            items = json.loads(raw)
        except json.JSONDecodeError as e:
            raise EncryptionSettingsError(f"ORDERLY_ENCRYPTION_KEYS is not a valid JSON object: {e.msg} "
                                          f"at position {e.pos}") from None
        if not all(isinstance(v, str) for v in items.values()):
            raise EncryptionSettingsError("ORDERLY_ENCRYPTION_KEYS: every key must be a base64 string")
        pairs = list(items.items())
    else:
        pairs = []
        for item in filter(None, (part.strip() for part in raw.split(","))):
            key_id, sep, key = item.partition(":")
            if not sep:
                raise EncryptionSettingsError(f"ORDERLY_ENCRYPTION_KEYS: entry {len(pairs) + 1} is not "
                                              "`id:base64-key` (use id:key,id:key or a JSON object)")
            pairs.append((key_id.strip(), key.strip()))
    keys: dict[str, bytes] = {}
    for key_id, encoded in pairs:
        if not KEY_ID_PATTERN.fullmatch(key_id):
            raise EncryptionSettingsError(f"ORDERLY_ENCRYPTION_KEYS: key id {key_id[:70]!r} must be 1-64 letters, "
                                          "digits, '.', '_' or '-'")
        if key_id in keys:
            raise EncryptionSettingsError(f"ORDERLY_ENCRYPTION_KEYS: key id {key_id!r} is given twice")
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise EncryptionSettingsError(f"ORDERLY_ENCRYPTION_KEYS: the key {key_id!r} is not valid base64") from None
        if len(key) != 32:
            raise EncryptionSettingsError(f"ORDERLY_ENCRYPTION_KEYS: the key {key_id!r} is {len(key)} bytes; AES-256 "
                                          "needs 32 (base64 of 32 random bytes: openssl rand -base64 32)")
        keys[key_id] = key
    return keys


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over whole payloads, with the key named in each payload's metadata.

    `current` is the key id new payloads are encrypted with; None makes a decrypt-only codec (encryption off).
    `lenient` (the worker's): a payload that cannot be decrypted decodes to a placeholder saying why, not an error.
    """

    def __init__(self, keys: dict[str, bytes], current: str | None, lenient: bool = False) -> None:
        if current is not None and current not in keys:
            raise EncryptionSettingsError(f"the current encryption key id {current!r} is not among the keys "
                                          f"({', '.join(sorted(keys)) or 'none'})")
        self.ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.current = current
        self.lenient = lenient

    def as_lenient(self) -> EncryptionCodec:
        """The same keys, decoding what they cannot decrypt to a placeholder (for the worker)."""
        twin = EncryptionCodec({}, None, lenient=True)
        twin.ciphers, twin.current = self.ciphers, self.current
        return twin

    @property
    def encrypts(self) -> bool:
        return self.current is not None

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if self.current is None:
            return list(payloads)
        cipher, key_id = self.ciphers[self.current], self.current
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") == NULL and not payload.data:
                out.append(payload)  # a null (a save's answer, a missing argument): nothing in it to hide
                continue
            plain, compressed = compressed_if_smaller(payload.SerializeToString())
            nonce = os.urandom(NONCE_SIZE)
            sealed = cipher.encrypt(nonce, plain, associated_data(key_id, compressed))
            metadata = {"encoding": ENCODING, KEY_ID: key_id.encode()} | ({COMPRESSION: ZLIB} if compressed else {})
            out.append(Payload(metadata=metadata, data=nonce + sealed))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if not self.lenient:
            return [self.decrypt(p) for p in payloads]
        return [self.decrypt_or_placeholder(p) for p in payloads]

    def decrypt_or_placeholder(self, payload: Payload) -> Payload:
        try:
            return self.decrypt(payload)
        except PayloadDecryptionError as e:
            return undecodable_payload(str(e))

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was on (or by a process with it off): passed through
        raw_id = payload.metadata.get(KEY_ID)
        if raw_id is None:
            raise PayloadDecryptionError(f"an encrypted payload has no {KEY_ID} in its metadata")
        key_id = raw_id.decode(errors="replace")
        cipher = self.ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptionError(
                f"a payload is encrypted with key id {key_id!r}, which is not among the configured keys "
                f"({', '.join(sorted(self.ciphers)) or 'none'}): add it to ORDERLY_ENCRYPTION_KEYS")
        data = payload.data
        compressed = payload.metadata.get(COMPRESSION) == ZLIB
        if len(data) < NONCE_SIZE + 16:
            raise PayloadDecryptionError(f"a payload encrypted with key id {key_id!r} is {len(data)} bytes, too short "
                                         "to hold a nonce and a tag: it was cut or altered")
        try:
            plain = cipher.decrypt(data[:NONCE_SIZE], data[NONCE_SIZE:], associated_data(key_id, compressed))
            plain = zlib.decompress(plain) if compressed else plain
        except (InvalidTag, zlib.error):
            raise PayloadDecryptionError(f"a payload encrypted with key id {key_id!r} does not decrypt: it was "
                                         "altered, or the key with that id is not the one it was encrypted with") from None
        try:
            return Payload.FromString(plain)
        except DecodeError:  # sealed by a key holder, but never a payload
            raise PayloadDecryptionError(f"a payload encrypted with key id {key_id!r} decrypts to something that "
                                         "is not a payload") from None


def associated_data(key_id: str, compressed: bool = False) -> bytes:
    """Bound to the ciphertext: the key id, and whether the plaintext was compressed (relabelling either fails)."""
    return b"orderly-payload-v1:" + key_id.encode() + (b":zlib" if compressed else b"")


def compressed_if_smaller(plain: bytes) -> tuple[bytes, bool]:
    """A payload over `COMPRESS_OVER` bytes, zlib-compressed where that makes it smaller (notices and the order's
    input are JSON that halves); small ones as they are."""
    if len(plain) <= COMPRESS_OVER:
        return plain, False
    packed = zlib.compress(plain, 6)
    return (packed, True) if len(packed) < len(plain) else (plain, False)


def codec_for(settings: Settings) -> EncryptionCodec | None:
    """The codec the settings ask for: None when encryption is off and there are no keys to decrypt with."""
    keys = parse_keys(settings.encryption_keys.get_secret_value())
    if settings.encryption == "off":
        return EncryptionCodec(keys, None) if keys else None
    if not keys:
        raise EncryptionSettingsError(NO_KEYS)
    current = settings.encryption_key_id.strip()
    if not current:
        if len(keys) > 1:
            raise EncryptionSettingsError(f"ORDERLY_ENCRYPTION_KEYS holds {len(keys)} keys "
                                          f"({', '.join(sorted(keys))}): set ORDERLY_ENCRYPTION_KEY_ID to the one "
                                          "new payloads are encrypted with")
        [current] = keys
    if current not in keys:
        raise EncryptionSettingsError(f"ORDERLY_ENCRYPTION_KEY_ID is {current!r}, which is not among the keys in "
                                      f"ORDERLY_ENCRYPTION_KEYS ({', '.join(sorted(keys))})")
    return EncryptionCodec(keys, current)


class LeanJSONPayloadConverter(PydanticJSONPlainPayloadConverter):
    """Pydantic's JSON, leaving out every field whose value is its default (read back, the default applies again):
    a notice's order, a receipt, an action's answer carry what they say, not a key for every empty field."""

    lean = SchemaSerializer(core_schema.any_schema())

    def to_payload(self, value: object) -> Payload:
        return Payload(metadata={"encoding": self.encoding.encode()},
                       data=self.lean.to_json(value, exclude_defaults=True))


class LeanPayloadConverter(CompositePayloadConverter):
    """The default payload converters, with JSON by `LeanJSONPayloadConverter`."""

    def __init__(self) -> None:
        lean = LeanJSONPayloadConverter()
        super().__init__(*(lean if isinstance(c, JSONPlainPayloadConverter) else c
                           for c in DefaultPayloadConverter.default_encoding_payload_converters))


ORDERLY_CONVERTER = DataConverter(payload_converter_class=LeanPayloadConverter)


def with_codec(codec: PayloadCodec | None) -> DataConverter:
    """The pydantic data converter every Orderly client and worker uses, with this codec (or none).

    With a codec, failures' messages and stack traces move into their encoded attributes and are encrypted too: an
    error can quote anything (a mail server rejecting the customer's address, say)."""
    if codec is None:
        return ORDERLY_CONVERTER
    return dataclasses.replace(ORDERLY_CONVERTER, payload_codec=codec,
                               failure_converter_class=DefaultFailureConverterWithEncodedAttributes)


def lenient_converter(converter: DataConverter) -> DataConverter:
    """The worker's twin of a converter: what its encryption codec cannot decrypt decodes to a placeholder
    (`models/undecodable.py`) instead of failing the workflow task; everything else is the same."""
    codec = converter.payload_codec
    if not isinstance(codec, EncryptionCodec) or codec.lenient:
        return converter
    return dataclasses.replace(converter, payload_codec=codec.as_lenient())


def data_converter_for(settings: Settings) -> DataConverter:
    """Raises EncryptionSettingsError (a ValueError) when the settings cannot work."""
    return with_codec(codec_for(settings))


def encryption_problem(settings: Settings) -> str | None:
    """Why the encryption settings cannot work, or None: for commands that check before they start."""
    try:
        codec_for(settings)
    except EncryptionSettingsError as e:
        return str(e)
    return None
