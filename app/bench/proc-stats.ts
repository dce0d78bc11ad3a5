import { readFileSync } from "node:fs";

/**
 * What the kernel says about a server process, read from /proc so the servers themselves carry no instrumentation:
 * the figures are those of the exact bundle that ships.
 */

/** Clock ticks per second of /proc/<pid>/stat's utime/stime: USER_HZ, 100 on every Linux Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * User + system CPU time used so far, in milliseconds (10 ms resolution): by the whole process, or with `tid` by
 * one of its threads (the main thread's id is the pid).
 */
export function cpuTimeMs(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, "utf8");
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Read and write system calls made so far by the whole process (`syscr`, `syscw` of /proc/<pid>/io: read, readv,
 * write, writev, ... on sockets and files alike). Per streamed token they show what coalescing saves: every socket
 * write of a server is a syscall, and on loopback the kernel does the receiver's work in it too.
 */
export function syscalls(pid: number): { reads: number; writes: number } {
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)`, "m").exec(io)?.[1] ?? NaN);
  return { reads: field("syscr"), writes: field("syscw") };
}

export interface Memory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size since the process started (VmHWM), bytes. */
  peakRss: number;
}

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib("VmRSS"), peakRss: kib("VmHWM") };
}

/**
 * Samples VmRSS every `intervalMs` while a load runs. VmHWM already gives the exact peak; the samples add the
 * shape (and a cross-check) to the JSON report.
 */
export function sampleRss(pid: number, intervalMs = 250): { stop(): number[] } {
  const samples: number[] = [];
  const take = () => {
    try {
      samples.push(memory(pid).rss);
    } catch {
      // The process is gone; the caller finds out from its exit.
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/**
 * The busiest second of the process's main thread while a load runs, as a fraction of one core. Node runs all
 * JavaScript on that thread: near 1.0 it is saturated, and every line waits its turn however idle the machine is.
 */
export function sampleMainThreadBusy(pid: number, intervalMs = 1000): { stop(): number } {
  let last = cpuTimeMs(pid, pid);
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const now = cpuTimeMs(pid, pid);
      peak = Math.max(peak, (now - last) / intervalMs);
      last = now;
    } catch {
      // The process is gone; the caller finds out from its exit.
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.round(peak * 100) / 100;
    },
  };
}

/**
 * Connections the kernel dropped because a listening socket's accept queue was full (TcpExt ListenOverflows),
 * machine-wide. A server that cannot accept as fast as streams arrive shows up here, and its clients wait for
 * SYN retransmits (1 s, 3 s, ...): read it around a run to tell that from slow streaming.
 */
export function listenOverflows(): number {
  const lines = readFileSync("/proc/net/netstat", "utf8").split("\n").filter((line) => line.startsWith("TcpExt:"));
  const [names, values] = lines.map((line) => line.trim().split(/\s+/));
  const at = names?.indexOf("ListenOverflows") ?? -1;
  return at > 0 && values ? Number(values[at]) : NaN;
}
