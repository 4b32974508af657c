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
	"syscall"
)

// cpu is the process's user + system CPU time in seconds: the machine the
// benchmark runs on is shared, and CPU time is what descheduling does not inflate.
func cpu() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

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
	t := cpu()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	el := cpu() - t
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
	t := cpu()
	for i := 0; i < n; i++ {
		ping <- i
		select {
		case <-pong:
		case <-quit:
		}
	}
	el := cpu() - t
	close(quit)
	fmt.Printf("{\"seconds\": %g, \"n\": %d}\n", el, n)
}

func park(n int) {
	runtime.GC()
	before := rssKB()
	gate := make(chan struct{})
	parked := make(chan struct{}, n)
	done := make(chan struct{}, n)
	t := cpu()
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
	spawn := cpu() - t
	after := rssKB()
	t = cpu()
	close(gate)
	for i := 0; i < n; i++ {
		<-done
	}
	wake := cpu() - t
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
