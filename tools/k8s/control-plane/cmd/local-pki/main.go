// Command local-pki writes the certificates and keys of the local control plane into a
// directory (tools/k8s/cluster.sh calls it once per fresh state directory):
//
//	ca.crt, ca.key                the cluster's certificate authority
//	apiserver.crt, apiserver.key  kube-apiserver's serving certificate, for 127.0.0.1,
//	                              localhost and the in-cluster names of the kubernetes Service
//	sa.key, sa.pub                the key pair that signs and verifies service-account tokens
//
// Only the standard library is used, so nothing else (openssl) has to be installed.
// Keys are ECDSA P-256 in PKCS#8, which every component reads.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

func main() {
	dir := flag.String("dir", "", "directory to write the files into (created if missing)")
	serviceIP := flag.String("service-ip", "10.96.0.1", "cluster IP of the kubernetes Service")
	flag.Parse()
	if *dir == "" {
		fail(fmt.Errorf("-dir is required"))
	}
	if err := run(*dir, net.ParseIP(*serviceIP)); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "local-pki:", err)
	os.Exit(1)
}

func run(dir string, serviceIP net.IP) error {
	if serviceIP == nil {
		return fmt.Errorf("-service-ip is not an IP address")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// A year is far longer than any local cluster lives; the state directory is recreated
	// by `make k8s-up` after `make k8s-down` anyway.
	notBefore := time.Now().Add(-time.Hour)
	notAfter := notBefore.Add(365 * 24 * time.Hour)

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "kafka-stages-local-ca"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}

	serverKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serverTemplate := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), serviceIP},
		DNSNames: []string{
			"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local",
		},
	}
	serverDER, err := x509.CreateCertificate(rand.Reader, serverTemplate, caCert, &serverKey.PublicKey, caKey)
	if err != nil {
		return err
	}

	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return err
	}

	files := []struct {
		name  string
		block *pem.Block
		mode  os.FileMode
	}{
		{"ca.crt", &pem.Block{Type: "CERTIFICATE", Bytes: caDER}, 0o644},
		{"ca.key", privateKeyBlock(caKey), 0o600},
		{"apiserver.crt", &pem.Block{Type: "CERTIFICATE", Bytes: serverDER}, 0o644},
		{"apiserver.key", privateKeyBlock(serverKey), 0o600},
		{"sa.key", privateKeyBlock(saKey), 0o600},
		{"sa.pub", &pem.Block{Type: "PUBLIC KEY", Bytes: saPub}, 0o644},
	}
	for _, f := range files {
		if f.block == nil {
			return fmt.Errorf("cannot encode %s", f.name)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), pem.EncodeToMemory(f.block), f.mode); err != nil {
			return err
		}
	}
	return nil
}

func privateKeyBlock(key *ecdsa.PrivateKey) *pem.Block {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil
	}
	return &pem.Block{Type: "PRIVATE KEY", Bytes: der}
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		fail(err)
	}
	return n
}
