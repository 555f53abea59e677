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
    NmzChannel.instance().event(NmzChannel.FUNC_CALL, name, (Object[]) null);
  }

  public void eventFuncCall(String name, String classFilter) {
    if (NmzChannel.onStack(classFilter)) eventFuncCall(name);
  }

  public void eventFuncCall(String name, Map<String, Object> argMap) {
    NmzChannel.instance().event(NmzChannel.FUNC_CALL, name, argMap);
  }

  public void eventFuncCall(String name, Map<String, Object> argMap, String classFilter) {
    if (NmzChannel.onStack(classFilter)) eventFuncCall(name, argMap);
  }

  public void eventFuncReturn(String name) {
    NmzChannel.instance().event(NmzChannel.FUNC_RETURN, name, (Object[]) null);
  }

  public void eventFuncReturn(String name, String classFilter) {
    if (NmzChannel.onStack(classFilter)) eventFuncReturn(name);
  }

  public void eventFuncReturn(String name, Map<String, Object> argMap) {
    NmzChannel.instance().event(NmzChannel.FUNC_RETURN, name, argMap);
  }

  public void eventFuncReturn(String name, Map<String, Object> argMap, String classFilter) {
    if (NmzChannel.onStack(classFilter)) eventFuncReturn(name, argMap);
  }

  public void stopInspection() {
    NmzChannel.instance().stopInspection();
  }
}
