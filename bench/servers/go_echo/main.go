// Go echo server for gonet's benchmarks: the net package, one goroutine per
// connection, a 4 KiB read buffer per connection, GOMAXPROCS=1.
//
// Per connection Go keeps the goroutine (its stack starts at 8 KiB and lives
// on while parked in Read), the 4 KiB buffer, and the netFD/pollDesc.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"time"
)

func handle(c net.Conn, size int) {
	defer c.Close()
	buf := make([]byte, size)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func main() {
	host := flag.String("host", "127.0.0.1", "listen host")
	port := flag.Int("port", 0, "listen port (0 picks a free one)")
	bufsize := flag.Int("bufsize", 4096, "read buffer per connection")
	flag.Parse()
	runtime.GOMAXPROCS(1)
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
		go handle(c, *bufsize)
	}
}
