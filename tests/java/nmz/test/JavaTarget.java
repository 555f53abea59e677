// SPDX-License-Identifier: Apache-2.0
package nmz.test;

import java.util.ArrayList;
import java.util.List;

/**
 * The java inspector tests' JVM. Threads named worker-0.. each call
 * work(thread, i) `calls` times; worker-0 starts first, the others after
 * `lagMs`. Prints "enter NAME I" before and "exit NAME I" after each call,
 * and "fault NAME I MESSAGE" when the rule threw. Usage:
 *   JavaTarget THREADS CALLS LAG_MS
 */
public final class JavaTarget {
  static int work(String thread, int i) {
    return thread.length() + i;
  }

  static synchronized void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  public static void main(String[] args) throws InterruptedException {
    int threads = Integer.parseInt(args[0]);
    int calls = Integer.parseInt(args[1]);
    long lagMs = Long.parseLong(args[2]);
    List<Thread> started = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String name = "worker-" + t;
      Thread thread = new Thread(() -> {
        for (int i = 0; i < calls; i++) {
          say("enter " + name + " " + i);
          try {
            work(name, i);
            say("exit " + name + " " + i);
          } catch (IllegalStateException e) {
            say("fault " + name + " " + i + " " + e.getMessage());
          }
        }
      }, name);
      thread.start();
      started.add(thread);
      if (t == 0 && lagMs > 0) Thread.sleep(lagMs);
    }
    for (Thread thread : started) thread.join();
    say("done");
  }
}
