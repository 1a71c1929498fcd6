package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TokenParam is the URL query parameter, and TokenCookie the cookie, that
// carry an access token.
const (
	TokenParam  = "token"
	TokenCookie = "vizserve_token"
)

// Tokens mints and verifies time-limited access tokens: HMAC-SHA256 signed,
// carrying an expiry and a path prefix they are valid for. A server with
// Tokens set refuses every request (page or websocket) without a valid
// one. Tokens is safe for concurrent use.
type Tokens struct {
	key []byte
	now func() time.Time
}

// NewTokens returns a token authority with the given secret key, or with a
// fresh random 32-byte key if key is nil (tokens then die with the
// process).
func NewTokens(key []byte) *Tokens {
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key)
	}
	return &Tokens{key: append([]byte(nil), key...), now: time.Now}
}

// Mint returns a token valid for ttl on path and every path below it
// ("/" covers the whole server). An empty path is "/": the whole server.
// Expiry is kept in whole seconds.
func (t *Tokens) Mint(path string, ttl time.Duration) string {
	if path == "" {
		path = "/"
	}
	payload := binary.BigEndian.AppendUint64(nil, uint64(t.now().Add(ttl).Unix()))
	payload = append(payload, path...)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(t.sign(payload))
}

func (t *Tokens) sign(payload []byte) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write(payload)
	return m.Sum(nil)
}

// Token errors, for errors.Is.
var (
	ErrTokenMissing   = errors.New("no access token")
	ErrTokenMalformed = errors.New("malformed access token")
	ErrTokenTampered  = errors.New("access token signature does not match")
	ErrTokenExpired   = errors.New("access token expired")
	ErrTokenWrongPath = errors.New("access token is for another path")
)

// Verify checks tok for a request to path.
func (t *Tokens) Verify(tok, path string) error {
	_, err := t.verify(tok, path)
	return err
}

// verify checks tok for a request to path and returns when it expires.
func (t *Tokens) verify(tok, path string) (time.Time, error) {
	if tok == "" {
		return time.Time{}, ErrTokenMissing
	}
	p64, s64, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 4096 {
		return time.Time{}, ErrTokenMalformed
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	sig, err2 := base64.RawURLEncoding.DecodeString(s64)
	if err1 != nil || err2 != nil || len(payload) < 8 {
		return time.Time{}, ErrTokenMalformed
	}
	if !hmac.Equal(sig, t.sign(payload)) {
		return time.Time{}, ErrTokenTampered
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(payload)), 0)
	if !t.now().Before(exp) {
		return exp, fmt.Errorf("%w at %s", ErrTokenExpired, exp.UTC().Format(time.RFC3339))
	}
	scope := string(payload[8:])
	if !pathWithin(path, scope) {
		return exp, fmt.Errorf("%w: valid for %q, not %q", ErrTokenWrongPath, scope, path)
	}
	return exp, nil
}

// pathWithin reports whether path is scope or below it.
func pathWithin(path, scope string) bool {
	if scope == "/" || path == scope {
		return true
	}
	s := strings.TrimSuffix(scope, "/")
	return strings.HasPrefix(path, s+"/")
}
