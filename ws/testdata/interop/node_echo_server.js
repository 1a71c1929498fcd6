// Echo server for the interop tests of package ws, on Node's ws package.
//
// It listens on 127.0.0.1 on a free port and prints {"event": "listening",
// "port": N} as a JSON line. It serves one connection: every message is
// sent back unchanged, with its type. When the client closes, it prints
// {"event": "closed", "code": C, "reason": R} with the close code and reason
// it received, and exits.
"use strict";
const { WebSocketServer } = require("ws");

const emit = (fields) => process.stdout.write(JSON.stringify(fields) + "\n");

// permessage-deflate is accepted when the client offers it; messages from
// 1 KiB up are then compressed.
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 16 << 20, perMessageDeflate: true });
wss.on("listening", () => emit({ event: "listening", port: wss.address().port }));
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on("error", (err) => emit({ event: "error", error: String(err) }));
  ws.on("close", (code, reason) => {
    emit({ event: "closed", code, reason: reason.toString("utf8") });
    wss.close();
    clearTimeout(guard);
  });
});

const guard = setTimeout(() => {
  process.stderr.write("node_echo_server: no connection closed within 120 s\n");
  process.exit(3);
}, 120000);
