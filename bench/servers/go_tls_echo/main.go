// Go TLS echo server for gonet's TLS echo benchmark: the reference row (crypto/tls).
//
// Same contract as the Python TLS servers (servers/tls_common.py): --host/--port,
// --certfile/--keyfile (without them a throw-away ECDSA P-256 certificate, as trustme
// makes), prints "READY <port>" once listening. One goroutine per connection, a
// 64 KiB read buffer (what the Python handlers read), GOMAXPROCS=1 (the runner also
// sets it in the environment) so it is comparable with the one-thread Python servers.
//
// TLS settings are crypto/tls's defaults (TLS 1.2 and 1.3, TLS 1.3 negotiated with
// tls_loadgen). Go does not let a program choose its TLS 1.3 cipher suites: on
// AES-NI hardware it picks TLS_AES_128_GCM_SHA256 when the client offers it, where
// OpenSSL (the Python servers) picks TLS_AES_256_GCM_SHA384. Only the client can
// make them agree (tls_loadgen --cipher). The first handshake's version and suite
// are written to stderr (the run's log) so every run records what it measured.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

var firstHandshake sync.Once

func handle(c *tls.Conn, size int) {
	defer c.Close()
	if err := c.Handshake(); err != nil {
		return
	}
	firstHandshake.Do(func() {
		st := c.ConnectionState()
		version := map[uint16]string{tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3"}
		fmt.Fprintf(os.Stderr, "negotiated %s %s\n", version[st.Version],
			tls.CipherSuiteName(st.CipherSuite))
	})
	buf := make([]byte, size)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // io.EOF, or the load generator hanging up without close_notify
			return
		}
	}
}

// throwaway makes a self-signed ECDSA P-256 certificate for localhost/127.0.0.1.
func throwaway() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func main() {
	host := flag.String("host", "127.0.0.1", "listen host")
	port := flag.Int("port", 0, "listen port (0 picks a free one)")
	certfile := flag.String("certfile", "", "PEM certificate chain (default: a throw-away one)")
	keyfile := flag.String("keyfile", "", "PEM private key (default: in --certfile)")
	bufsize := flag.Int("bufsize", 65536, "read buffer per connection")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	var cert tls.Certificate
	var err error
	if *certfile == "" {
		cert, err = throwaway()
	} else {
		if *keyfile == "" {
			*keyfile = *certfile
		}
		cert, err = tls.LoadX509KeyPair(*certfile, *keyfile)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	config := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12, // as Python's PROTOCOL_TLS_SERVER with OpenSSL 3
		// Full-size records from the first byte, as OpenSSL writes them; Go would
		// otherwise start each connection with small ones (only its first ~128 KiB).
		DynamicRecordSizingDisabled: true,
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("READY %d\n", ln.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	delay := 5 * time.Millisecond
	for {
		c, err := ln.Accept()
		if err != nil { // EMFILE and friends: back off like net/http
			time.Sleep(delay)
			if delay < time.Second {
				delay *= 2
			}
			continue
		}
		delay = 5 * time.Millisecond
		go handle(tls.Server(c, config), *bufsize)
	}
}
