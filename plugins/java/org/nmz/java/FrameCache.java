// SPDX-License-Identifier: Apache-2.0
package org.nmz.java;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Each stack frame's encoded StackTraceElement message, by class, method
 * and bytecode index (frames of a StackWalker that retains classes). A frame's file and line cost the JVM a
 * StackTraceElement per frame and call (most of a 16-frame stack's cost);
 * the same call site always has the same ones. Bounded: beyond the limit
 * frames are encoded without being kept.
 */
final class FrameCache {
  private static final int LIMIT = 1 << 16;
  private static final AtomicInteger KEPT = new AtomicInteger();
  // Per class: a class name is not unique across class loaders.
  private static final ClassValue<ConcurrentHashMap<String, byte[]>> BY_CLASS =
      new ClassValue<ConcurrentHashMap<String, byte[]>>() {
        @Override
        protected ConcurrentHashMap<String, byte[]> computeValue(Class<?> type) {
          return new ConcurrentHashMap<>();
        }
      };

  private FrameCache() {}

  static byte[] encoded(StackWalker.StackFrame f) {
    ConcurrentHashMap<String, byte[]> frames = BY_CLASS.get(f.getDeclaringClass());
    // Overloads share a name: the descriptor tells them apart.
    String key = f.getMethodName() + f.getDescriptor() + '@' + f.getByteCodeIndex();
    byte[] body = frames.get(key);
    if (body == null) {
      body = RequestEncoder.frame(f);
      if (KEPT.get() < LIMIT && frames.putIfAbsent(key, body) == null) KEPT.incrementAndGet();
    }
    return body;
  }
}
