// Go net/http hello world for gonet's HTTP benchmarks: the reference row.
//
// GET / -> 200 "Hello, World!" (13 bytes, text/plain), keep-alive, GOMAXPROCS=1
// (the runner also sets it in the environment), net/http's defaults otherwise:
// a goroutine per connection, Content-Length set by net/http because the
// handler's output fits its buffer. Prints "READY <port>" once listening.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
)

var body = []byte("Hello, World!")

func hello(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write(body)
}

func main() {
	host := flag.String("host", "127.0.0.1", "listen host")
	port := flag.Int("port", 0, "listen port (0 picks a free one)")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	ln, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("READY %d\n", ln.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	srv := &http.Server{Handler: http.HandlerFunc(hello)}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
