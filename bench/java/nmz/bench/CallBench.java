// SPDX-License-Identifier: Apache-2.0
package nmz.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

/**
 * THREADS threads each call tick() CALLS times (after a warm-up of WARMUP
 * calls each); prints one JSON line: total measured calls, seconds, calls
 * per second, the median, 90th and 99th percentile of one call in
 * microseconds, the share of calls that took more than a millisecond,
 * and the CPU seconds the whole JVM spent while they ran (start-up, class
 * transformation and warm-up left out). With bench.btm every tick() is a
 * full round trip to nmz.
 *   CallBench THREADS CALLS WARMUP
 */
public final class CallBench {
  private static volatile int sink;

  static int tick(int i) {
    return i + 1;
  }

  public static void main(String[] args) throws InterruptedException {
    int threads = Integer.parseInt(args[0]);
    int calls = Integer.parseInt(args[1]);
    int warmup = Integer.parseInt(args[2]);
    long[][] durations = new long[threads][calls];
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      long[] mine = durations[t];
      Thread thread = new Thread(() -> {
        int local = 0;
        for (int i = 0; i < warmup; i++) local += tick(i);
        ready.countDown();
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < calls; i++) {
          long start = System.nanoTime();
          local += tick(i);
          mine[i] = System.nanoTime() - start;
        }
        sink = local;
        done.countDown();
      }, "bench-" + t);
      thread.start();
    }
    ready.await();
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpuStart = os.getProcessCpuTime();
    long start = System.nanoTime();
    go.countDown();
    done.await();
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpuSeconds = (os.getProcessCpuTime() - cpuStart) / 1e9;
    long[] all = Arrays.stream(durations).flatMapToLong(Arrays::stream).sorted().toArray();
    long overOneMs = Arrays.stream(all).filter(d -> d > 1_000_000).count();
    System.out.printf("{\"calls\": %d, \"warmup_calls\": %d, \"seconds\": %.6f, \"calls_per_s\": %.1f, "
        + "\"median_us\": %.3f, \"p90_us\": %.3f, \"p99_us\": %.3f, \"over_1ms\": %.5f, \"cpu_s\": %.6f}%n",
        all.length, (long) warmup * threads, seconds, all.length / seconds, all[all.length / 2] / 1e3,
        all[all.length * 9 / 10] / 1e3, all[all.length * 99 / 100] / 1e3, (double) overOneMs / all.length,
        cpuSeconds);
  }
}
