package ws

import (
	"errors"
	"fmt"
	"strconv"
)

// StatusCode is a WebSocket close status code (RFC 6455 section 7.4).
type StatusCode int

// Close status codes registered by RFC 6455 and IANA.
const (
	StatusNormalClosure   StatusCode = 1000
	StatusGoingAway       StatusCode = 1001
	StatusProtocolError   StatusCode = 1002
	StatusUnsupportedData StatusCode = 1003

	// 1004 is reserved.

	// StatusNoStatusRcvd is reported when a close frame carried no status code.
	// It is never sent on the wire.
	StatusNoStatusRcvd StatusCode = 1005
	// StatusAbnormalClosure is reported when the connection ended without a
	// close frame. It is never sent on the wire.
	StatusAbnormalClosure StatusCode = 1006

	StatusInvalidFramePayloadData StatusCode = 1007
	StatusPolicyViolation         StatusCode = 1008
	StatusMessageTooBig           StatusCode = 1009
	StatusMandatoryExtension      StatusCode = 1010
	StatusInternalError           StatusCode = 1011
	StatusServiceRestart          StatusCode = 1012
	StatusTryAgainLater           StatusCode = 1013
	StatusBadGateway              StatusCode = 1014

	// StatusTLSHandshake is reported when the TLS handshake failed. It is never
	// sent on the wire.
	StatusTLSHandshake StatusCode = 1015
)

var statusText = map[StatusCode]string{
	StatusNormalClosure:           "normal closure",
	StatusGoingAway:               "going away",
	StatusProtocolError:           "protocol error",
	StatusUnsupportedData:         "unsupported data",
	1004:                          "reserved",
	StatusNoStatusRcvd:            "no status received",
	StatusAbnormalClosure:         "abnormal closure",
	StatusInvalidFramePayloadData: "invalid frame payload data",
	StatusPolicyViolation:         "policy violation",
	StatusMessageTooBig:           "message too big",
	StatusMandatoryExtension:      "mandatory extension",
	StatusInternalError:           "internal error",
	StatusServiceRestart:          "service restart",
	StatusTryAgainLater:           "try again later",
	StatusBadGateway:              "bad gateway",
	StatusTLSHandshake:            "TLS handshake failed",
}

// String returns the code and its registered meaning, e.g. "1001 (going away)".
func (c StatusCode) String() string {
	if t, ok := statusText[c]; ok {
		return strconv.Itoa(int(c)) + " (" + t + ")"
	}
	switch {
	case c >= 3000 && c <= 3999:
		return strconv.Itoa(int(c)) + " (registered for libraries)"
	case c >= 4000 && c <= 4999:
		return strconv.Itoa(int(c)) + " (private use)"
	}
	return strconv.Itoa(int(c))
}

// validWireCode reports whether code may appear in a close frame on the wire.
func validWireCode(code StatusCode) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true
	case code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// CloseError is the close frame received from the peer: its status code and
// reason. Read methods return it (possibly wrapped) once the peer has closed
// the connection. A close frame without a status is reported as
// StatusNoStatusRcvd, and a connection that ended without any close frame as
// StatusAbnormalClosure with the network error as the reason.
type CloseError struct {
	Code   StatusCode
	Reason string
}

func (e CloseError) Error() string {
	if e.Code == StatusAbnormalClosure {
		return "ws: connection lost without a close frame: " + e.Reason
	}
	if e.Reason == "" {
		return "ws: peer closed the connection with status " + e.Code.String()
	}
	return fmt.Sprintf("ws: peer closed the connection with status %v and reason %q", e.Code, e.Reason)
}

// CloseStatus returns the status code of the peer's close frame if err wraps
// a CloseError, and -1 otherwise.
//
// Use it to tell a normal end of the conversation from a failure:
//
//	if ws.CloseStatus(err) == ws.StatusNormalClosure { return nil }
func CloseStatus(err error) StatusCode {
	var ce CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

// FailError is returned when this endpoint failed the connection because the
// peer broke the protocol (or a limit), after sending a close frame with Code.
type FailError struct {
	Code   StatusCode // the status code sent to the peer
	Reason string     // what was wrong
}

func (e *FailError) Error() string {
	return fmt.Sprintf("ws: connection failed with status %v: %s", e.Code, e.Reason)
}
