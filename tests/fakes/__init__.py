"""Local stand-ins for the payment gateways' servers, for the real SDKs to talk to over HTTP."""
