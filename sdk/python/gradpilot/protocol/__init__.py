"""What crosses the wire, shared by the controller and the client (the TS ``sdk/protocol/``)."""
