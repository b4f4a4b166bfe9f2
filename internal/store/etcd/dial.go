package etcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap/zapcore"
)

// DSNScheme is the scheme of an external etcd DSN.
const DSNScheme = "etcd://"

// DefaultClientPort is used for DSN hosts given without a port.
const DefaultClientPort = "2379"

// ParseDSN parses "etcd://host:port[,host:port...]" into client endpoints
// ("host:port"; IPv6 hosts in brackets; a missing port means 2379).
// Credentials, paths, queries and fragments are refused.
func ParseDSN(dsn string) ([]string, error) {
	if len(dsn) < len(DSNScheme) || !strings.EqualFold(dsn[:len(DSNScheme)], DSNScheme) {
		return nil, fmt.Errorf("etcd DSN %q: must start with %q, e.g. etcd://127.0.0.1:2379,10.0.0.2:2379", dsn, DSNScheme)
	}
	rest := dsn[len(DSNScheme):]
	rest = strings.TrimSuffix(rest, "/")
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return nil, fmt.Errorf("etcd DSN %q: unexpected %q after the host list (paths, queries and fragments are not supported)", dsn, rest[i:])
	}
	if strings.Contains(rest, "@") {
		return nil, fmt.Errorf("etcd DSN %q: credentials are not supported", dsn)
	}
	if strings.TrimSpace(rest) == "" {
		return nil, fmt.Errorf("etcd DSN %q: no hosts", dsn)
	}
	var endpoints []string
	seen := make(map[string]bool)
	for i, part := range strings.Split(rest, ",") {
		ep, err := parseEndpoint(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("etcd DSN %q: host %d: %w", dsn, i+1, err)
		}
		if seen[ep] {
			return nil, fmt.Errorf("etcd DSN %q: host %q listed twice", dsn, ep)
		}
		seen[ep] = true
		endpoints = append(endpoints, ep)
	}
	return endpoints, nil
}

func parseEndpoint(hp string) (string, error) {
	if hp == "" {
		return "", errors.New("empty host (stray comma?)")
	}
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		// No port: a bare name, IPv4 address or bracketed IPv6 address.
		switch {
		case strings.HasPrefix(hp, "[") && strings.HasSuffix(hp, "]"):
			host = hp[1 : len(hp)-1]
		case !strings.Contains(hp, ":"):
			host = hp
		default:
			return "", fmt.Errorf("%q: %w (IPv6 addresses need brackets: [::1]:2379)", hp, err)
		}
		port = DefaultClientPort
	}
	if host == "" {
		return "", fmt.Errorf("%q: missing host", hp)
	}
	if strings.ContainsAny(host, " \t[]") {
		return "", fmt.Errorf("%q: invalid host %q", hp, host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("%q: invalid port %q (want 1-65535)", hp, port)
	}
	return net.JoinHostPort(host, port), nil
}

// DialTimeout bounds connection setup in Dial when ctx has no deadline.
const DialTimeout = 5 * time.Second

// Dial connects to an external etcd cluster and checks that at least one
// endpoint answers before returning. The caller closes the client. Client
// logs at warn and above go to logger.
func Dial(ctx context.Context, endpoints []string, logger *slog.Logger) (*clientv3.Client, error) {
	if len(endpoints) == 0 {
		return nil, errors.New("etcd dial: no endpoints")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DialTimeout)
		defer cancel()
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            endpoints,
		DialTimeout:          DialTimeout,
		DialKeepAliveTime:    30 * time.Second,
		DialKeepAliveTimeout: 10 * time.Second,
		Logger:               zapToSlog(logger, zapcore.WarnLevel),
	})
	if err != nil {
		return nil, fmt.Errorf("etcd dial %v: %w", endpoints, err)
	}
	// A linearizable read needs a leader and a quorum: it proves the
	// cluster serves requests, not just that a socket opened. The client
	// tries every endpoint until ctx ends.
	resp, err := cli.Get(ctx, "privlink-dial-probe", clientv3.WithCountOnly())
	if err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("etcd dial %v: cluster not reachable: %w", endpoints, err)
	}
	if logger != nil {
		logger.LogAttrs(ctx, slog.LevelDebug, "etcd cluster reachable",
			slog.Any("endpoints", endpoints), slog.Int64("revision", resp.Header.Revision))
	}
	return cli, nil
}
