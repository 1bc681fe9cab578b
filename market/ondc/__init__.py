"""Haat on ONDC, the Open Network for Digital Commerce (docs/ondc.md)."""
