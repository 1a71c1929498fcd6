// Package conformance is a WebSocket conformance suite modelled on
// Autobahn|Testsuite: groups 1 to 7, 9, 10, 12 and 13 (517 cases) with
// Autobahn's numbering, run as a fuzzing client against a server
// (RunAgainstServer) or as a fuzzing server against a client (FuzzServer).
//
//	for _, c := range conformance.Cases() {
//		r := conformance.RunAgainstServer(ctx, "ws://127.0.0.1:9001/", c)
//		if !r.Passed() { fmt.Print(r) }
//	}
//
// The fuzzer frames bytes itself and shares no code with package ws, so one
// bug cannot hide in both. The peer under test must echo every message
// with its type (text as text, binary as binary) until the connection
// ends.
//
// # Running a case
//
// A case is a script and its expectations. The script writes frames with
// any header bits, in one write, one write per frame, or in TCP chops of N
// bytes (TCP_NODELAY set), and waits where the case prescribes a delay.
// Writes between two waits form a burst sent without looking at what
// arrives meanwhile. A wait ends early when the connection stops being
// open (a close frame either way, or TCP gone); the script then stops. A
// wait that times out with the connection open may add a timeout event
// ("timeout A"), which is how fail-fast cases see at which point the peer
// failed. Everything received is recorded with its time.
//
// The fuzzer answers pings, and answers a close frame from the peer with a
// close frame carrying the same status, at once, as Autobahn does: in the
// fail-fast cases that is in the middle of the frame the peer rejected. When the case expects the fuzzer
// to close, it sends a close frame (status 1000) as soon as exactly the
// expected events are in. After the script, the case's end timer runs:
// "close after" starts the closing handshake if nobody has, "kill after"
// drops the TCP connection if it still exists. The fuzzer waits 1 s for
// the peer's close frame after sending its own, and after the closing
// handshake 1 s for the TCP connection to end (see Clean close).
//
// # Verdicts
//
// The behaviour verdict compares the events received (messages with their
// type and exact payload, pings, pongs, timeouts, in order) with the
// case's outcomes: OK for the strict one, NON-STRICT for the weaker one
// Autobahn also lists (the peer failed before echoing the valid message
// sent ahead of the bad frame; it noticed invalid UTF-8 only after the
// rest of the message), FAILED for anything else. A protocol violation by
// the peer (a masked frame from a server or an unmasked one from a client,
// reserved bits or opcodes, a fragmented or oversized control frame, bad
// continuations, a text message or close reason that is not UTF-8, an
// invalid close status, anything after its close frame) is FAILED. Cases
// with a checkpoint (5.19, 5.20: the first pong must arrive during the
// pause, before the rest of the fragmented message is sent) are
// NON-STRICT when it is missed. INFORMATIONAL cases (7.1.6, 7.13.x) list
// the sane outcomes; matching one is INFORMATIONAL, anything else FAILED.
//
// The close verdict, checked in this order:
//
//   - FAILED if the wrong side started the closing handshake: the peer
//     sent its close frame first where the fuzzer was to close (an echo
//     case), or the fuzzer did where the peer was to fail the connection.
//   - UNCLEAN if the case requires a clean close (see below) and it was not.
//   - WRONG CODE if the peer's close status is not one the case expects,
//     or the peer sent no close frame at all (it dropped TCP, or the
//     fuzzer's timer ran out first). A close frame without a status is
//     accepted only as the reply to the fuzzer's normal close.
//   - FAILED BY CLIENT, when testing a server: the fuzzing client had to
//     drop the TCP connection itself, because the server did not close it
//     within 1 s of the closing handshake (RFC 6455 7.1.1: the server
//     closes first), or at all.
//   - OK otherwise.
//
// The final verdict is FAILED if the behaviour failed; else the close
// verdict if it is not OK; else the behaviour verdict. A case passes if it
// is OK or INFORMATIONAL. Our bar is every case passing in both roles with
// the default options of the implementation under test.
//
// # Stricter than Autobahn
//
// Where the peer fails the connection, Autobahn also accepts a peer that
// just drops TCP, or answers an invalid close frame without a status; we
// require a close frame with an expected status (RFC 6455 7.1.7: it SHOULD
// send one). Echoes of group 9 are compared byte for byte, not by length.
// 5.19 and 5.20 check that the first ping is answered during the pause.
// A client under test must end TCP with a FIN, not a reset, where a clean
// close is required. Case 3.6 sends the ping its description names (the
// Autobahn code sends a binary frame, which 3.5 covers).
//
// # Clean close
//
// A close is clean when both close frames went through in order (the
// initiator's, then the answer) and then the TCP connection ended from the
// server's side:
//
//   - testing a server, the fuzzing client read end of stream (or a reset)
//     from the server within 1 s of the closing handshake, without closing
//     first;
//   - testing a client, the fuzzing server closed its sending side (FIN)
//     right after the closing handshake, and the client then closed its own
//     side with a FIN (end of stream, not a reset) within 1 s.
//
// # Compression (groups 12 and 13)
//
// A case of 12 or 13 negotiates permessage-deflate (RFC 7692) as its
// Negotiation says, then sends 1000 compressed messages of one size, each
// after the echo of the one before, cut in turn from one of five payloads
// (package payload: JSON, an image, prose, HTML, a PDF), in one frame each
// or auto-fragmented; every echo must be the message. Group 12 runs the
// five payloads with the plain offer; group 13 runs JSON with seven
// negotiation settings (no context takeover and window limits of 8 and 15
// bits for either side, and three offers with fallback).
//
// The fuzzing client makes Autobahn's offers (each also allows the server
// to ask for client_no_context_takeover and client_max_window_bits) and
// checks that the response accepts one of them: RFC 7692 obliges the
// server to answer server_no_context_takeover and server_max_window_bits
// (at most the value offered) when offered; a response that does not is
// FAILED. The fuzzing server answers with the case's accept preferences,
// each only for an offer that allows it, as Autobahn's accept functions
// do. A peer that declines (or offers nothing the fuzzing server can
// accept) makes the case UNIMPLEMENTED, which does not pass.
//
// Every compressed message from the peer is decoded by package
// deflatecheck, strictly: no distance past the negotiated window, none
// into earlier messages unless context takeover was agreed for the peer's
// direction (a client that offered client_no_context_takeover promised
// not to use it, RFC 7692 7.1.1.2), complete codes, RSV1 on the first
// frame of data messages only. A message that fails is a protocol
// violation (FAILED). Final blocks and flushes inside a message are
// valid, as RFC 7692 allows them. A message that decodes exactly like one
// checked before (same compressed bytes, same history, same window) is not
// decoded again. The peer may send any message uncompressed.
//
// The fuzzer compresses its own messages with compress/flate; where the
// peer limited the fuzzer's window below 15 bits it uses Huffman coding
// only (no back-references), which fits any window. As its offers say, the
// fuzzing client never uses context takeover; the fuzzing server does
// where the client allows it.
package conformance
