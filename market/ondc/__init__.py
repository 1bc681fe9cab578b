"""Haat on ONDC, the Open Network for Digital Commerce, as a seller app (a Beckn BPP). See docs/ondc.md.

- `views`: the endpoints buyer apps and the gateway call (/ondc/search, /ondc/select, ...), each answered ACK or
  NACK at once, the registry's /ondc/on_subscribe and /ondc-site-verification.html;
- `dispatch`: which handler makes the callback of each action; `catalogue`: search -> on_search;
- `worker`: runs the handlers and sends the signed callbacks (inline after the response, and
  `flask --app market ondc work`), within the message's TTL, retried;
- `models`: the message log; `network`: our identity, the registry and the HTTP session from settings.
Signing and verifying is market.core.beckn; the local fake network (demo, tests) market.core.fakes.ondc.
This package is in the top (web) layer: its handlers may call any feature.
"""
