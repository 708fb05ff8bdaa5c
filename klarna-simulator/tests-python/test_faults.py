"""The simulator's faults as another language team uses them: set over the HTTP control
endpoint (and on the command line), observed through urllib3's retrying client.

Run by `.ci/simulator-faults`, which starts the simulator binary and passes its address
and credentials in SIMULATOR_URL, SIMULATOR_USERNAME and SIMULATOR_PASSWORD. The
simulator is started with `--fault 'operation=cancelCreditSession,status=500,count=1'`;
no other test here cancels a session, so that fault waits for `CommandLineFault`.
Only the standard library and urllib3 are used.
"""

import json
import os
import time
import unittest

import urllib3
from urllib3.exceptions import MaxRetryError, ProtocolError
from urllib3.util.retry import Retry

BASE = os.environ["SIMULATOR_URL"].rstrip("/")
USERNAME = os.environ["SIMULATOR_USERNAME"]
PASSWORD = os.environ["SIMULATOR_PASSWORD"]
RETRYABLE = [429, 500, 502, 503, 504]

CREATE = {
    "purchase_country": "SE",
    "purchase_currency": "SEK",
    "locale": "sv-SE",
    "order_amount": 10000,
    "order_tax_amount": 2000,
    "order_lines": [
        {
            "type": "physical",
            "name": "Shoe",
            "quantity": 1,
            "unit_price": 10000,
            "tax_rate": 2500,
            "total_amount": 10000,
            "total_tax_amount": 2000,
        }
    ],
}


def headers(content_type="application/json", password=PASSWORD):
    found = urllib3.make_headers(basic_auth=f"{USERNAME}:{password}")
    if content_type:
        found["Content-Type"] = content_type
    return found


class Simulator(unittest.TestCase):
    """Helpers: a non-retrying pool for set-up calls, faults removed after each test."""

    def setUp(self):
        self.http = urllib3.PoolManager(retries=False, timeout=10.0)
        self.added = []

    def tearDown(self):
        for fault_id in self.added:
            self.http.request("DELETE", f"{BASE}/simulator/v1/faults/{fault_id}", headers=headers(None))
        self.http.clear()

    def call(self, method, path, body=None, **kwargs):
        data = None if body is None else json.dumps(body).encode()
        return self.http.request(method, BASE + path, body=data, headers=headers(), **kwargs)

    def add_fault(self, fault):
        answer = self.call("POST", "/simulator/v1/faults", fault)
        self.assertEqual(answer.status, 201, answer.data)
        record = answer.json()
        self.added.append(record["id"])
        return record

    def fault(self, fault_id):
        listed = self.call("GET", "/simulator/v1/faults").json()["faults"]
        return next(f for f in listed if f["id"] == fault_id)

    def last_seq(self):
        lines = self.call("GET", "/simulator/v1/requests").json()["requests"]
        return lines[-1]["seq"] if lines else 0

    def requests_since(self, seq, operation):
        lines = self.call("GET", f"/simulator/v1/requests?since={seq}").json()["requests"]
        return [line for line in lines if line["operation"] == operation]

    def create_session(self):
        answer = self.call("POST", "/payments/v1/sessions", CREATE)
        self.assertEqual(answer.status, 200, answer.data)
        return answer.json()["session_id"]


class ControlEndpoint(Simulator):
    def test_reads_answered_503_with_retry_after_are_retried_and_then_succeed(self):
        session = self.create_session()
        fault = self.add_fault(
            {"operation": "readCreditSession", "session_id": session, "status": 503, "retry_after": 1, "count": 2}
        )
        self.assertEqual((fault["fired"], fault["remaining"]), (0, 2))
        seq = self.last_seq()
        retry = Retry(
            total=3,
            status_forcelist=RETRYABLE,
            allowed_methods=["GET"],
            backoff_factor=0,
            respect_retry_after_header=True,
        )
        started = time.monotonic()
        answer = self.http.request(
            "GET", f"{BASE}/payments/v1/sessions/{session}", headers=headers(None), retries=retry
        )
        took = time.monotonic() - started
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.json()["status"], "incomplete")
        self.assertEqual([h.status for h in answer.retries.history], [503, 503])
        self.assertGreaterEqual(took, 2.0, "urllib3 waited Retry-After: 1 twice")
        self.assertEqual((self.fault(fault["id"])["fired"], self.fault(fault["id"])["remaining"]), (2, 0))
        reads = self.requests_since(seq, "readCreditSession")
        self.assertEqual(
            [(r["status"], r["fault"], r["session_id"]) for r in reads],
            [(503, fault["id"], session), (503, fault["id"], session), (200, None, session)],
        )

    def test_the_fault_answer_is_a_klarna_error(self):
        session = self.create_session()
        self.add_fault({"session_id": session, "status": 429, "retry_after": 7, "count": 1})
        answer = self.call("GET", f"/payments/v1/sessions/{session}")
        self.assertEqual(answer.status, 429)
        self.assertEqual(answer.headers["Retry-After"], "7")
        body = answer.json()
        self.assertEqual(body["error_code"], "TOO_MANY_REQUESTS")
        self.assertEqual(body["correlation_id"], answer.headers["Klarna-Correlation-Id"])

    def test_a_create_whose_connection_drops_is_not_replayed_by_default(self):
        fault = self.add_fault({"operation": "createCreditSession", "close": "before_headers", "count": 1})
        seq = self.last_seq()
        # urllib3 retries only idempotent methods after a request may have been sent.
        with self.assertRaises((ProtocolError, MaxRetryError)):
            self.http.request(
                "POST",
                f"{BASE}/payments/v1/sessions",
                body=json.dumps(CREATE).encode(),
                headers=headers(),
                retries=Retry(total=3, status_forcelist=RETRYABLE, backoff_factor=0),
            )
        creates = self.requests_since(seq, "createCreditSession")
        self.assertEqual([(c["status"], c["outcome"]) for c in creates], [(None, "closed_before_headers")])
        self.assertEqual(self.fault(fault["id"])["fired"], 1)

    def test_a_client_told_to_retry_posts_opens_a_second_session(self):
        # Why the default matters: the lost create was carried out, so a replay doubles it.
        self.add_fault({"operation": "createCreditSession", "close": "before_headers", "count": 1})
        seq = self.last_seq()
        answer = self.http.request(
            "POST",
            f"{BASE}/payments/v1/sessions",
            body=json.dumps(CREATE).encode(),
            headers=headers(),
            retries=Retry(total=3, allowed_methods=None, backoff_factor=0),
        )
        self.assertEqual(answer.status, 200)
        creates = self.requests_since(seq, "createCreditSession")
        self.assertEqual([c["outcome"] for c in creates], ["closed_before_headers", "answered"])

    def test_a_read_whose_connection_drops_is_retried(self):
        session = self.create_session()
        self.add_fault({"session_id": session, "close": "before_headers", "count": 1})
        answer = self.http.request(
            "GET",
            f"{BASE}/payments/v1/sessions/{session}",
            headers=headers(None),
            retries=Retry(total=2, backoff_factor=0),
        )
        self.assertEqual(answer.status, 200)
        self.assertEqual(len(answer.retries.history), 1)

    def test_a_body_cut_after_the_headers_is_an_error(self):
        session = self.create_session()
        self.add_fault({"session_id": session, "close": "after_headers", "count": 1})
        with self.assertRaises(ProtocolError):
            self.call("GET", f"/payments/v1/sessions/{session}")

    def test_a_delay_holds_the_answer_back(self):
        session = self.create_session()
        self.add_fault({"session_id": session, "delay_ms": 300, "count": 1})
        started = time.monotonic()
        self.assertEqual(self.call("GET", f"/payments/v1/sessions/{session}").status, 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)

    def test_a_wrong_fault_is_refused_with_the_field_named(self):
        answer = self.call("POST", "/simulator/v1/faults", {"status": 200})
        self.assertEqual(answer.status, 400)
        self.assertEqual(answer.json()["error_messages"][0], "Bad value: status")
        answer = self.call("POST", "/simulator/v1/faults", {"stauts": 503})
        self.assertEqual((answer.status, answer.json()["error_code"]), (400, "BAD_REQUEST"))


class Strictness(Simulator):
    def test_a_create_that_is_not_json_gets_415(self):
        answer = self.http.request(
            "POST",
            f"{BASE}/payments/v1/sessions",
            body=json.dumps(CREATE).encode(),
            headers=headers("text/plain"),
        )
        self.assertEqual(answer.status, 415)
        self.assertEqual(answer.json()["error_code"], "UNSUPPORTED_MEDIA_TYPE")

    def test_a_401_names_the_scheme_and_realm(self):
        answer = self.http.request(
            "GET", f"{BASE}/payments/v1/sessions/x", headers=headers(None, password="wrong")
        )
        self.assertEqual(answer.status, 401)
        self.assertEqual(answer.headers["WWW-Authenticate"], 'Basic realm="Klarna simulator"')

    def test_the_request_log_holds_no_secrets_or_bodies(self):
        marker = "PRIVATE-REFERENCE-4711"
        self.call("POST", "/payments/v1/sessions", dict(CREATE, merchant_reference1=marker))
        text = self.call("GET", "/simulator/v1/requests").data.decode()
        self.assertNotIn(marker, text)
        self.assertNotIn(PASSWORD, text)


class CommandLineFault(Simulator):
    def test_the_fault_given_with_dash_dash_fault_fires_once(self):
        listed = self.call("GET", "/simulator/v1/faults").json()["faults"]
        cli = [f for f in listed if f.get("operation") == "cancelCreditSession"]
        self.assertEqual(len(cli), 1, listed)
        self.assertEqual((cli[0]["status"], cli[0]["count"], cli[0]["fired"]), (500, 1, 0))
        session = self.create_session()
        first = self.call("DELETE", f"/payments/v1/sessions/{session}")
        self.assertEqual((first.status, first.json()["error_code"]), (500, "INTERNAL_SERVER_ERROR"))
        second = self.call("DELETE", f"/payments/v1/sessions/{session}")
        self.assertEqual(second.status, 204)
        self.assertEqual(self.fault(cli[0]["id"])["fired"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
