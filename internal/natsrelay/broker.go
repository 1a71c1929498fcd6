package natsrelay

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Broker is a NATS server embedded in this process, for a one-command
// setup (vizserve -broker ADDR) and for tests.
type Broker struct {
	ns *server.Server
}

// BrokerOptions configures StartBroker.
type BrokerOptions struct {
	// MaxPayload is the largest message the broker takes. Default NATS's
	// own, 1 MiB.
	MaxPayload int32
}

// StartBroker starts a NATS server listening on addr (host:port; port 0
// picks one) and waits until it takes connections.
func StartBroker(addr string, opts *BrokerOptions) (*Broker, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("natsrelay: broker address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("natsrelay: broker address %q: %w", addr, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	o := &server.Options{Host: host, Port: port, NoLog: true, NoSigs: true}
	if opts != nil && opts.MaxPayload > 0 {
		o.MaxPayload = opts.MaxPayload
	}
	ns, err := server.NewServer(o)
	if err != nil {
		return nil, fmt.Errorf("natsrelay: broker: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("natsrelay: the broker on %s did not start", addr)
	}
	return &Broker{ns: ns}, nil
}

// URL is the broker's client URL (nats://HOST:PORT).
func (b *Broker) URL() string { return b.ns.ClientURL() }

// Addr is the broker's listening address.
func (b *Broker) Addr() net.Addr { return b.ns.Addr() }

// Close stops the broker and waits until it has.
func (b *Broker) Close() error {
	b.ns.Shutdown()
	b.ns.WaitForShutdown()
	return nil
}

// ReconnectWait is how long a connection waits between attempts to reach
// the broker again.
const ReconnectWait = 50 * time.Millisecond

// Connect connects to the broker at url for a publisher or a subscriber:
// it reconnects for ever, every ReconnectWait, and buffers nothing while
// the broker is away (a publisher merges instead; a relay resyncs).
func Connect(url, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(ReconnectWait),
		nats.ReconnectJitter(10*time.Millisecond, 10*time.Millisecond),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectBufSize(-1),
		nats.PingInterval(time.Second),
		nats.MaxPingsOutstanding(3),
	)
	if err != nil {
		return nil, fmt.Errorf("natsrelay: connect %s: %w", url, err)
	}
	return nc, nil
}
