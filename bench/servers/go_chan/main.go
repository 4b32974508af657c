// go_chan runs the goroutine and channel workloads of bench/chan_bench.py in Go,
// so gonet's numbers sit next to the runtime it models. Run with GOMAXPROCS=1.
//
//	go_chan pingpong N | select N | park N
//
// prints one JSON object: seconds per phase and, for park, the RSS growth.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func rssKB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "VmRSS:") {
			fields := strings.Fields(line)
			v, _ := strconv.ParseInt(fields[1], 10, 64)
			return v
		}
	}
	return 0
}

func pingpong(n int) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	t := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	el := time.Since(t).Seconds()
	close(ping)
	fmt.Printf("{\"seconds\": %g, \"n\": %d}\n", el, n)
}

func selectPingpong(n int) {
	ping, pong, quit := make(chan int), make(chan int), make(chan int)
	go func() {
		for {
			select {
			case v := <-ping:
				pong <- v
			case <-quit:
				return
			}
		}
	}()
	t := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		select {
		case <-pong:
		case <-quit:
		}
	}
	el := time.Since(t).Seconds()
	close(quit)
	fmt.Printf("{\"seconds\": %g, \"n\": %d}\n", el, n)
}

func park(n int) {
	runtime.GC()
	before := rssKB()
	gate := make(chan struct{})
	parked := make(chan struct{}, n)
	done := make(chan struct{}, n)
	t := time.Now()
	for i := 0; i < n; i++ {
		go func() {
			parked <- struct{}{}
			<-gate
			done <- struct{}{}
		}()
	}
	for i := 0; i < n; i++ {
		<-parked
	}
	runtime.Gosched() // let the last ones reach <-gate
	spawn := time.Since(t).Seconds()
	after := rssKB()
	t = time.Now()
	close(gate)
	for i := 0; i < n; i++ {
		<-done
	}
	wake := time.Since(t).Seconds()
	fmt.Printf("{\"spawn_seconds\": %g, \"wake_seconds\": %g, \"rss_delta_kb\": %d, \"n\": %d}\n",
		spawn, wake, after-before, n)
}

func main() {
	n, _ := strconv.Atoi(os.Args[2])
	switch os.Args[1] {
	case "pingpong":
		pingpong(n)
	case "select":
		selectPingpong(n)
	case "park":
		park(n)
	}
}
