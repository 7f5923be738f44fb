//go:build linux

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchapp/latch/internal/testing/peers"
	"github.com/latchapp/latch/internal/testing/sandboxtest"
)

// networkSandbox runs `latch sandbox` as a provider on this machine's
// network address, as a provider on the network is to a phone: over
// https, through a proxy that keeps the Host header, with a certificate
// made for the test. It returns the issuer, env with SSL_CERT_FILE set
// so that Latch trusts the certificate, and the certificate, for a
// browser to trust.
func networkSandbox(t *testing.T, env []string) (string, []string, *x509.Certificate) {
	t.Helper()
	ip := networkAddress(t)
	cert, pair := selfSigned(t, ip)
	ln, err := tls.Listen("tcp", net.JoinHostPort(ip.String(), "0"), &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	issuer := "https://" + ln.Addr().String()
	local := sandboxtest.FreeAddr(t)
	if got, _ := startSandbox(t, env, local, "--issuer", issuer); got != issuer {
		t.Fatalf("latch sandbox --issuer %s presents %s; want the same", issuer, got)
	}
	target := &url.URL{Scheme: "http", Host: local}
	// NewSingleHostReverseProxy keeps the request's Host header, the
	// issuer's host, which the sandbox checks.
	srv := &http.Server{Handler: httputil.NewSingleHostReverseProxy(target), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	certFile := filepath.Join(t.TempDir(), "provider.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return issuer, append(env, "SSL_CERT_FILE="+certFile), cert
}

// networkAddress is this machine's first IPv4 address that is not
// loopback.
func networkAddress(t *testing.T) net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, a := range addrs {
		ipnet, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		seen = append(seen, ipnet.IP.String())
		if ip := ipnet.IP.To4(); ip != nil && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
			return ip
		}
	}
	peers.Missing(t, "a network address other than loopback", "this machine has "+strings.Join(seen, ", "))
	return nil
}

// selfSigned makes a certificate for ip, valid for an hour, that is its
// own authority.
func selfSigned(t *testing.T, ip net.IP) (*x509.Certificate, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "Latch test provider"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{ip},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}
}
