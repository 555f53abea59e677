// SPDX-License-Identifier: Apache-2.0
package net.osrg.namazu;

import java.util.Map;
import org.jboss.byteman.rule.Rule;
import org.jboss.byteman.rule.helper.Helper;
import org.nmz.java.NmzChannel;

/**
 * Namazu's helper name (HELPER net.osrg.namazu.PBEQHelper) and methods, so
 * that rule files written for Namazu's Java inspector run unchanged under
 * nmz's agent. Each method blocks the calling thread until nmz answers,
 * as NmzHelper does; they return nothing, as Namazu's did, so a fault
 * action cannot make these rules throw (use NmzHelper for that).
 *
 * <p>A `classFilter` sends the event only when a frame of that class is on
 * the calling thread's stack; `argMap` values are sent as String.valueOf.
 * stopInspection() turns the inspection off for the rest of the JVM's life.
 */
public class PBEQHelper extends Helper {
  protected PBEQHelper(Rule rule) {
    super(rule);
  }

  public void eventFuncCall(String name) {
    send(NmzChannel.FUNC_CALL, name, null, null);
  }

  public void eventFuncCall(String name, String classFilter) {
    send(NmzChannel.FUNC_CALL, name, null, classFilter);
  }

  public void eventFuncCall(String name, Map<String, Object> argMap) {
    send(NmzChannel.FUNC_CALL, name, argMap, null);
  }

  public void eventFuncCall(String name, Map<String, Object> argMap, String classFilter) {
    send(NmzChannel.FUNC_CALL, name, argMap, classFilter);
  }

  public void eventFuncReturn(String name) {
    send(NmzChannel.FUNC_RETURN, name, null, null);
  }

  public void eventFuncReturn(String name, String classFilter) {
    send(NmzChannel.FUNC_RETURN, name, null, classFilter);
  }

  public void eventFuncReturn(String name, Map<String, Object> argMap) {
    send(NmzChannel.FUNC_RETURN, name, argMap, null);
  }

  public void eventFuncReturn(String name, Map<String, Object> argMap, String classFilter) {
    send(NmzChannel.FUNC_RETURN, name, argMap, classFilter);
  }

  public void stopInspection() {
    NmzChannel.instance().stopInspection();
  }

  private static void send(int type, String name, Map<String, Object> argMap, String classFilter) {
    if (classFilter == null || NmzChannel.onStack(classFilter)) NmzChannel.instance().event(type, name, argMap);
  }
}
