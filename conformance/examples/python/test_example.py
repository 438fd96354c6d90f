"""Unit tests of the example's parts (standard library only):

    python3 -m unittest discover -s conformance/examples/python

The conformance suite judges the whole call; these pin the Python pitfalls one by one, so that
a change to the parser shows which one it reopened.
"""

import base64
import json
import os
import unittest

import adapter
import migrate
from rs256 import Signer
from strictjson import JsonError, Number, dumps, es_number, parse

HERE = os.path.dirname(os.path.abspath(__file__))


class StrictJson(unittest.TestCase):
    def refused(self, data):
        with self.assertRaises(JsonError, msg=data[:60]):
            parse(data)

    def test_what_json_loads_accepts_and_the_spec_refuses(self):
        self.refused(b'\xef\xbb\xbf{}')  # json.loads(bytes) strips a BOM
        self.refused('{}'.encode("utf-16"))  # json.loads(bytes) decodes UTF-16
        self.refused(b'{"a":"\xc0\xaf"}')  # overlong UTF-8
        self.refused(b'{"a":"\xed\xa0\x80"}')  # an encoded surrogate
        for constant in (b"NaN", b"Infinity", b"-Infinity"):
            self.refused(b'{"a":' + constant + b'}')
        self.refused(b'{"a":"\\ud800"}')  # lone high surrogate escape
        self.refused(b'{"a":"\\udc00"}')  # lone low surrogate escape
        self.refused(b'{"a":["\\ud800"],"a":1}')  # in a discarded duplicate
        self.refused(b'{"a":"\\ud800a\\udc00"}')  # not immediately followed
        self.refused(b'{"a":' + b"[" * 128 + b"]" * 128 + b"}")  # level 129
        self.refused(b"[" * 100000 + b"]" * 100000)  # RecursionError, caught

    def test_what_the_spec_accepts(self):
        self.assertEqual(parse(b'{"a":"\\ud83d\\ude00"}'), {"a": "\U0001f600"})
        self.assertEqual(parse(b'{"a":"\\\\ud800"}'), {"a": "\\ud800"})  # an escaped backslash
        self.assertIn("a", parse(b'{"a":' + b"[" * 127 + b"]" * 127 + b"}"))  # level 128
        self.assertEqual(parse(b'{"a":1,"a":2}'), {"a": Number("2")})  # last wins
        big = b"9" * 5000  # int() would refuse it (Python 3.11+); the text is kept
        self.assertEqual(parse(b'{"a":' + big + b',"b":1e400}')["a"].text, big.decode())
        self.assertEqual(parse(b' \t\r\n{}\n'), {})

    def test_numbers_are_written_as_ecmascript_writes_them(self):
        cases = {1e21: "1e+21", 1e20: "100000000000000000000", 1e-7: "1e-7", 1e-6: "0.000001",
                 100.0: "100", -0.0: "0", 0.1: "0.1", 5e-324: "5e-324", -1.5e-7: "-1.5e-7",
                 1.7976931348623157e308: "1.7976931348623157e+308"}
        for x, text in cases.items():
            self.assertEqual(es_number(x), text)

    def test_canonical_form_sorts_keys_by_utf16_code_units(self):
        self.assertEqual(dumps({"\ue000": 1, "\U0001f600": 2, "a\n": 3}, canonical=True),
                         '{"a\\n":3,"\U0001f600":2,"\ue000":1}')


class Rs256(unittest.TestCase):
    def test_signature_verifies_with_the_published_key(self):
        signer = Signer.from_file(os.path.join(HERE, "example-key.pem"))
        token = signer.jwt('{"alg":"RS256"}', '{"sub":"x"}')
        head, payload, signature = token.split(".")
        jwk = signer.jwks()["keys"][0]
        unb64 = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
        n, e = (int.from_bytes(unb64(jwk[k]), "big") for k in ("n", "e"))
        em = pow(int.from_bytes(unb64(signature), "big"), e, n).to_bytes(256, "big")
        self.assertTrue(em.startswith(b"\x00\x01\xff"))
        self.assertEqual(em[-32:], __import__("hashlib").sha256((head + "." + payload).encode()).digest())


class Service(unittest.TestCase):
    WORLD = {
        "project_id": "project-test-1", "project_max_session_minutes": 527040,
        "claims_template": {"plan": "pro", "iss": "dropped"},
        "organizations": [{"organization_id": "org-1", "slug": "acme", "members": [
            {"member_id": "member-1", "email": "Ada@Acme.test", "status": "pending"}]}],
        "userinfo": {"tok": {"http": {"status": 200, "body": {"json": {"email": "ada@acme.TEST"}}}},
                     "tok-fs": {"http": {"status": 200, "body": {"json": {"email": "a\u001c@b"}}}}},
    }

    def call(self, request, token="tok"):
        a = adapter.Adapter(Signer.from_file(os.path.join(HERE, "example-key.pem")))
        a.load_world(json.loads(json.dumps(self.WORLD)))
        body = dict({"session_token": token, "organization_id": "acme"}, **request)
        answer = a.call(base64.b64encode(json.dumps(body).encode()).decode(), 1700000000)
        return answer["status"], json.loads(base64.b64decode(answer["body_base64"]))

    def test_success(self):
        status, body = self.call({"session_custom_claims": {"n": 1e300, "plan": None}})
        self.assertEqual(status, 200)
        self.assertEqual(body["member"]["status"], "active")
        self.assertEqual(body["member_session"]["custom_claims"], {"n": 1e300})
        self.assertEqual(body["member_session"]["expires_at"], "2023-11-14T23:13:20Z")

    def test_errors(self):
        def error(request, token="tok"):
            status, body = self.call(request, token)
            return status, body["error_type"]
        self.assertEqual(error({"session_duration_minutes": 60.0}), (400, "bad_request"))
        self.assertEqual(error({"session_duration_minutes": 2**31}),
                         (400, "invalid_session_duration_minutes"))
        self.assertEqual(error({"organization_id": "ACME"}), (404, "organization_not_found"))
        # U+001C is str.isspace() but not Unicode White_Space: a valid email, of nobody here.
        self.assertEqual(error({}, "tok-fs"), (400, "migrate_from_external_email_does_not_exist"))
        self.assertEqual(error({}, "unknown"), (400, "migrate_from_external_unexpected_response"))


if __name__ == "__main__":
    unittest.main()
