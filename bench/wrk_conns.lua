-- wrk script of gonet's HTTP benchmarks: at the end of a run, while every one of
-- wrk's sockets is still open (wrk closes them only when it exits), list them with
-- `ss -tni`, so the runner can tell how many bytes each connection received: wrk
-- itself never reports a connection that got no answer.
-- GONET_BENCH_SS_OUT: the file to write; GONET_BENCH_SS_PORT: the server's port.
function done(summary, latency, requests)
  local out, port = os.getenv("GONET_BENCH_SS_OUT"), os.getenv("GONET_BENCH_SS_PORT")
  if out and port then
    os.execute("ss -tni state established '( dport = :" .. port .. " )' > " .. out)
  end
end
