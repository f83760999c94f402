"""socket.io namespaces and event names shared with the server (the TS ``sdk/protocol/socket-events.ts``)."""

INGEST_NAMESPACE = "/ingest"

# Client -> server on /ingest; every request is acknowledged with {ok, result} or {ok: False, error}.
JOIN = "join"
STEPS = "steps"
POLICY_ACK = "policyAck"
RESUME = "resume"
STOP_ACK = "stopAck"

# Server -> client on /ingest.
POLICY = "policy"
STOP = "stop"
