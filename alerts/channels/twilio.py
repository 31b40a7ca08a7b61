"""SMS and WhatsApp through a Twilio-compatible HTTP API (base URL from SMS_API_BASE).

POST {base}/2010-04-01/Accounts/{sid}/Messages.json with To, From and Body (WhatsApp
numbers prefixed `whatsapp:`), HTTP basic auth with the account sid and token. The provider
id is the returned `sid`. 429 and 5xx are transient; other 4xx are permanent.
"""

from __future__ import annotations

import requests

from alerts.channels.base import ChannelError, Outgoing


class TwilioChannel:
    def __init__(self, name: str, config, timeout: float = 10.0):
        self.name = name
        self.base = config["SMS_API_BASE"].rstrip("/")
        self.sid = config.get("SMS_ACCOUNT_SID") or ""
        self.auth = (self.sid, config.get("SMS_AUTH_TOKEN") or "")
        sender = config.get("WHATSAPP_FROM") if name == "whatsapp" else config.get("SMS_FROM")
        self.sender = sender or ""
        self.timeout = timeout
        self.session = requests.Session()

    def _address(self, number: str) -> str:
        return f"whatsapp:{number}" if self.name == "whatsapp" else number

    def send(self, message: Outgoing) -> str:
        if not message.to:
            raise ChannelError("no phone number", transient=False)
        url = f"{self.base}/2010-04-01/Accounts/{self.sid}/Messages.json"
        data = {"To": self._address(message.to), "From": self._address(self.sender),
                "Body": message.text}
        try:
            response = self.session.post(url, data=data, auth=self.auth, timeout=self.timeout,
                                         headers={"Idempotency-Key": message.idempotency_key})
        except requests.RequestException as exc:
            raise ChannelError(f"{self.name} API unreachable: {exc}", transient=True) from exc
        if response.status_code >= 400:
            transient = response.status_code == 429 or response.status_code >= 500
            raise ChannelError(f"{self.name} API {response.status_code}: {response.text[:200]}",
                               transient)
        try:
            return str(response.json()["sid"])
        except (ValueError, KeyError) as exc:
            raise ChannelError(f"{self.name} API answered without a sid", False) from exc

    def close(self) -> None:
        self.session.close()
