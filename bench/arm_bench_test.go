package bench

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// concurrencies are the numbers of concurrent HTTP/2 clients (each with its
// own connection) the benchmarks use.
var concurrencies = []int{1, 16, 64}

// readSet is how many resources the GET benchmarks cycle through.
const readSet = 256

// report publishes a run's throughput and latencies next to the
// direct-store reference run and their ratio.
func report(b *testing.B, api, ref Result) {
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(api.PerSec(), "ops/s")
	b.ReportMetric(us(api.Quantile(0.50)), "p50-us")
	b.ReportMetric(us(api.Quantile(0.99)), "p99-us")
	b.ReportMetric(ref.PerSec(), "store-ops/s")
	b.ReportMetric(us(ref.Quantile(0.50)), "store-p50-us")
	b.ReportMetric(us(ref.Quantile(0.99)), "store-p99-us")
	b.ReportMetric(Ratio(api.PerSec(), ref.PerSec()), "api/store")
}

// BenchmarkARM drives ARM PUT and GET of user-assigned identities through
// an in-process daemon over an embedded etcd (TLS, HTTP/2, bearer token),
// and after each API run the same number of operations directly on the
// daemon's store with the same concurrency: store.Create of a value the
// size of the identity's record for PUT, store.Get for GET. Only the API
// run is on the benchmark clock (ns/op); the metrics report both. PUT
// also reports a second, breakdown reference: the store transaction an ARM
// PUT performs (StoreTxns: read the key and the resource group, create
// guarded by both), so api/storetx is the cost of HTTP, authentication and
// JSON alone and storetx-ops/s ÷ store-ops/s that of the engine's reads.
func BenchmarkARM(b *testing.B) {
	ctx := context.Background()
	d, err := StartDaemon(ctx, b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := d.Close(); err != nil {
			b.Error(err)
		}
	})
	clients, err := d.Clients(ctx, concurrencies[len(concurrencies)-1])
	if err != nil {
		b.Fatal(err)
	}
	defer CloseClients(clients)

	// The resources GET reads, and the record value the store reference
	// writes (exactly the size of a stored identity).
	readNames := Names(readSet)
	if _, err := Run(ctx, 16, readSet, PutIdentities(clients, readNames)); err != nil {
		b.Fatal(err)
	}
	value, err := d.RecordValue(ctx, readNames[0])
	if err != nil {
		b.Fatal(err)
	}
	readKeys := StoreKeys(readSet)
	if _, err := Run(ctx, 16, readSet, d.StoreCreates(readKeys, value)); err != nil {
		b.Fatal(err)
	}
	b.Logf("record value: %d bytes", len(value))

	for _, c := range concurrencies {
		b.Run(fmt.Sprintf("PUT/c=%d", c), func(b *testing.B) {
			names := Names(b.N)
			b.ResetTimer()
			api, err := Run(ctx, c, b.N, PutIdentities(clients, names))
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			ref, err := Run(ctx, c, b.N, d.StoreCreates(StoreKeys(b.N), value))
			if err != nil {
				b.Fatal(err)
			}
			tx, err := Run(ctx, c, b.N, d.StoreTxns(StoreKeys(b.N), value))
			if err != nil {
				b.Fatal(err)
			}
			report(b, api, ref)
			b.ReportMetric(tx.PerSec(), "storetx-ops/s")
			b.ReportMetric(Ratio(api.PerSec(), tx.PerSec()), "api/storetx")
		})
	}
	for _, c := range concurrencies {
		b.Run(fmt.Sprintf("GET/c=%d", c), func(b *testing.B) {
			b.ResetTimer()
			api, err := Run(ctx, c, b.N, GetIdentities(clients, readNames))
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			ref, err := Run(ctx, c, b.N, d.StoreGets(readKeys))
			if err != nil {
				b.Fatal(err)
			}
			report(b, api, ref)
		})
	}
}
