// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "container/java_agent.hpp"

using nmz::core::container::agent_files;

TEST_CASE("the files of a JAVA_TOOL_OPTIONS value are those its -javaagent options name") {
  CHECK(agent_files("-javaagent:/usr/share/java/byteman.jar=script:/r/a.btm,script:/r/b.btm,sys:/lib/nmz-java-helper.jar"
                    " -Dnmz.pb.host=127.0.0.1 -Dnmz.pb.port=10000 -Dnmz.entity=x") ==
        std::vector<std::string>{"/usr/share/java/byteman.jar", "/r/a.btm", "/r/b.btm", "/lib/nmz-java-helper.jar"});
  CHECK(agent_files("-javaagent:/a.jar -javaagent:/b.jar=boot:/c.jar,listener:true,port:1") ==
        std::vector<std::string>{"/a.jar", "/b.jar", "/c.jar"});
  CHECK(agent_files("-Xmx1g -Dx=-javaagent:/no.jar").empty());
}
