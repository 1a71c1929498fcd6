package server

import (
	"crypto/tls"
	"fmt"
)

// tlsConfig returns the listener's TLS configuration, from
// Config.TLSConfig or the certificate and key files, or nil without TLS:
// https and wss then share the listener's port.
func (s *Server) tlsConfig() (*tls.Config, error) {
	var cfg *tls.Config
	switch {
	case s.cfg.TLSConfig != nil:
		cfg = s.cfg.TLSConfig.Clone()
	case s.cfg.TLSCertFile != "" || s.cfg.TLSKeyFile != "":
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("server: TLS: %w", err)
		}
		cfg = &tls.Config{Certificates: []tls.Certificate{cert}}
	default:
		return nil, nil
	}
	// Websockets need HTTP/1.1's upgrade.
	cfg.NextProtos = []string{"http/1.1"}
	return cfg, nil
}
