package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/privlink/privlink/internal/app"
	"github.com/privlink/privlink/internal/config"
)

// registrationDelay is how long feature and provider registrations stay
// Registering in these tests.
const registrationDelay = 300 * time.Millisecond

// clientID is the service principal the tests sign in as (any client ID
// and secret are accepted by the daemon's token endpoint).
const clientID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"

// pollOpts: the daemon sends Retry-After-Ms, so the frequency is only a
// fallback.
var pollOpts = &runtime.PollUntilDoneOptions{Frequency: 200 * time.Millisecond}

// logBuffer collects a daemon's log; it is printed when the test fails.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startDaemon starts privlink in-process on a loopback port chosen by the
// kernel, over the embedded etcd store in dir. The daemon is stopped at
// cleanup unless the test stopped it already.
func startDaemon(t *testing.T, dir string) *app.Daemon {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.SOCKSListen = "127.0.0.1:0"
	cfg.HTTPProxyListen = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.Store = "embedded"
	cfg.LogLevel = "warn"
	cfg.RegistrationDelay = registrationDelay
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := app.Start(ctx, cfg, log)
	if err != nil {
		t.Fatalf("app.Start: %v", err)
	}
	t.Cleanup(func() {
		stopDaemon(t, d)
		if t.Failed() {
			t.Logf("daemon log (%s):\n%s", dir, logs.String())
		}
	})
	return d
}

func stopDaemon(t *testing.T, d *app.Daemon) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.Stop(ctx); err != nil {
		t.Errorf("stop daemon: %v", err)
	}
	select {
	case err := <-d.Err():
		t.Errorf("daemon reported a fatal error: %v", err)
	default:
	}
}

// client is what an SDK user configures to talk to a daemon: a custom
// cloud whose authority host and ARM endpoint are the daemon, a transport
// trusting the daemon's CA, and a client secret credential.
type client struct {
	Endpoint     string
	Subscription string
	Tenant       string
	HTTP         *http.Client
	Cred         *azidentity.ClientSecretCredential
	Options      *azarm.ClientOptions
}

// caPool reads a PEM CA file into a pool holding only that CA.
func caPool(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read CA: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		t.Fatalf("%s holds no PEM certificate", path)
	}
	return pool
}

// newClient returns a client for the daemon at endpoint whose CA is in
// caFile, signing in to tenant.
func newClient(t *testing.T, endpoint, caFile, subscription, tenant string) *client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: caPool(t, caFile), MinVersion: tls.VersionTLS12}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	cfg := cloud.Configuration{
		ActiveDirectoryAuthorityHost: endpoint + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: endpoint, Audience: endpoint},
		},
	}
	cred, err := azidentity.NewClientSecretCredential(tenant, clientID, "integration-secret", &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cfg, Transport: hc},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatalf("NewClientSecretCredential: %v", err)
	}
	return &client{
		Endpoint:     endpoint,
		Subscription: subscription,
		Tenant:       tenant,
		HTTP:         hc,
		Cred:         cred,
		Options: &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
			Cloud:     cfg,
			Transport: hc,
			Retry:     policy.RetryOptions{MaxRetries: -1}, // failures must surface, not be retried away
		}},
	}
}

// daemonClient is newClient for an in-process daemon.
func daemonClient(t *testing.T, d *app.Daemon) *client {
	t.Helper()
	return newClient(t, d.Endpoint(), d.CAFile(), d.Identity.SubscriptionID, d.Identity.TenantID)
}

// token obtains an ARM access token from the daemon through the
// credential.
func (c *client) token(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := c.Cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.Endpoint + "/.default"}})
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	return tok.Token
}

// response is a raw HTTP exchange's result.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	TLS    *tls.ConnectionState
}

// do sends a raw request; authorization is the Authorization header
// value ("" sends none).
func (c *client) do(t *testing.T, method, url, authorization, body string) *response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b, TLS: resp.TLS}
}

// fingerprint is the SHA-256 of a DER certificate, in hex.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// servedCertificate returns the fingerprint of the certificate the daemon
// presents in the TLS handshake.
func (c *client) servedCertificate(t *testing.T) string {
	t.Helper()
	r := c.do(t, http.MethodGet, c.Endpoint+"/metadata/endpoints?api-version=2022-09-01", "", "")
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		t.Fatal("no TLS peer certificate")
	}
	return fingerprint(r.TLS.PeerCertificates[0].Raw)
}

// caFingerprint returns the fingerprint of the certificate in a PEM file.
func caFingerprint(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "CERTIFICATE" {
		t.Fatalf("%s: no certificate", path)
	}
	return fingerprint(blk.Bytes)
}

// wantCode fails unless err is an azcore.ResponseError with the ARM error
// code and HTTP status.
func wantCode(t *testing.T, err error, status int, code string) *azcore.ResponseError {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want %d %s, got %v", status, code, err)
	}
	if re.StatusCode != status || re.ErrorCode != code {
		t.Fatalf("want %d %s, got %d %s: %v", status, code, re.StatusCode, re.ErrorCode, err)
	}
	return re
}

func to[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// collect drains a pager.
func collect[P any, V any](t *testing.T, pager *runtime.Pager[P], values func(P) []V) []V {
	t.Helper()
	var out []V
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		out = append(out, values(page)...)
	}
	return out
}

// linuxVM creates a Linux VM in subscription sub with one NIC (ipconfig1
// in subnetID, in the load balancer backend pool when pool is set) and
// returns the VM's ID and private IP.
func linuxVM(ctx context.Context, t *testing.T, c *client, sub, rg, region, name, subnetID, pool string) (id, ip string) {
	t.Helper()
	nets, err := armnetwork.NewInterfacesClient(sub, c.Cred, c.Options)
	if err != nil {
		t.Fatal(err)
	}
	ipc := &armnetwork.InterfaceIPConfigurationPropertiesFormat{Subnet: &armnetwork.Subnet{ID: to(subnetID)}}
	if pool != "" {
		ipc.LoadBalancerBackendAddressPools = []*armnetwork.BackendAddressPool{{ID: to(pool)}}
	}
	p, err := nets.BeginCreateOrUpdate(ctx, rg, name+"-nic", armnetwork.Interface{
		Location: to(region),
		Properties: &armnetwork.InterfacePropertiesFormat{IPConfigurations: []*armnetwork.InterfaceIPConfiguration{{
			Name: to("ipconfig1"), Properties: ipc}}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	nic, err := p.PollUntilDone(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	vms, err := armcompute.NewVirtualMachinesClient(sub, c.Cred, c.Options)
	if err != nil {
		t.Fatal(err)
	}
	vp, err := vms.BeginCreateOrUpdate(ctx, rg, name, armcompute.VirtualMachine{
		Location: to(region),
		Properties: &armcompute.VirtualMachineProperties{
			HardwareProfile: &armcompute.HardwareProfile{VMSize: to(armcompute.VirtualMachineSizeTypes("Standard_B2s"))},
			StorageProfile: &armcompute.StorageProfile{ImageReference: &armcompute.ImageReference{
				Publisher: to("Canonical"), Offer: to("0001-com-ubuntu-server-jammy"), SKU: to("22_04-lts-gen2"), Version: to("latest")}},
			OSProfile: &armcompute.OSProfile{ComputerName: to(name), AdminUsername: to("azureuser"), AdminPassword: to("Integration-Passw0rd!")},
			NetworkProfile: &armcompute.NetworkProfile{NetworkInterfaces: []*armcompute.NetworkInterfaceReference{{
				ID: nic.ID, Properties: &armcompute.NetworkInterfaceReferenceProperties{Primary: to(true)}}}},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := vp.PollUntilDone(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return deref(res.ID), deref(nic.Properties.IPConfigurations[0].Properties.PrivateIPAddress)
}
