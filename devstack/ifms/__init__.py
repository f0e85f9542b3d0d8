"""The local treasury (IFMS) SOAP service for funds requests (never deployed)."""
