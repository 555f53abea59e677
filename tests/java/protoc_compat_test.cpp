// SPDX-License-Identifier: Apache-2.0
// nmz's hand-written PB codec against protoc and inspector_message.proto
// (Namazu's field numbers): protoc decodes what nmz encodes, and nmz
// decodes what protoc encodes. Exits 77 when protoc is not installed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "inspector_message.hpp"

using namespace nmz::namazu_pb;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "FAILED: " << what << "\n";
    ++failures;
  }
}

std::string run_protoc(const std::string& mode, const std::string& type, const std::string& input) {
  auto dir = std::filesystem::temp_directory_path() / ("nmz_protoc_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto in = dir / "in";
  auto out = dir / "out";
  std::ofstream(in, std::ios::binary) << input;
  std::string proto_dir = std::string(NMZ_SOURCE_ROOT) + "/namazu_pb";
  std::string command = "protoc --" + mode + "=" + type + " --proto_path=" + proto_dir +
                        " inspector_message.proto < " + in.string() + " > " + out.string();
  int rc = std::system(command.c_str());
  std::ifstream result(out, std::ios::binary);
  std::stringstream text;
  text << result.rdbuf();
  std::filesystem::remove_all(dir);
  check(rc == 0, "protoc " + mode + " " + type + " exited with " + std::to_string(rc));
  return text.str();
}

}  // namespace

int main() {
  if (std::system("protoc --version >/dev/null 2>&1") != 0) {
    std::cerr << "protoc not installed (protobuf-compiler): skipped\n";
    return 77;
  }
  InspectorRequest request;
  request.entity_id = "zk1";
  request.pid = 4242;
  request.tid = 17;
  request.msg_id = 5;
  request.event = FunctionEvent{FunctionEventType::func_call, "FastLeaderElection.lookForLeader", 0};
  request.java = JavaFields{"QuorumPeer", {{"F.java", "org.F", "lookForLeader", 910}}, {{"$1", "vote"}}};
  std::string decoded = run_protoc("decode", "pb.InspectorMsgReq", encode_request(request));
  for (const char* expected :
       {"entity_id: \"zk1\"", "type: EVENT", "pid: 4242", "tid: 17", "msg_id: 5", "type: FUNC_CALL",
        "name: \"FastLeaderElection.lookForLeader\"", "hasJavaSpecificFields: 1", "threadName: \"QuorumPeer\"",
        "nrStackTraceElements: 1", "className: \"org.F\"", "lineNumber: 910", "nrParams: 1", "value: \"vote\""}) {
    check(decoded.find(expected) != std::string::npos, std::string("protoc's decoding has ") + expected + ":\n" + decoded);
  }

  auto response = decode_response(run_protoc("encode", "pb.InspectorMsgRsp", "res: ERROR msg_id: 77 ga_msg_id: -2"));
  check(response && response->result == ResponseResult::error && response->msg_id == 77 && response->ga_msg_id == -2,
        "nmz decodes protoc's InspectorMsgRsp");
  check(run_protoc("decode", "pb.InspectorMsgRsp", encode_response({ResponseResult::end, 3, std::nullopt})) ==
            "res: END\nmsg_id: 3\n",
        "protoc decodes nmz's InspectorMsgRsp");

  auto from_protoc = decode_request(run_protoc(
      "encode", "pb.InspectorMsgReq",
      "entity_id: \"e\" type: INITIATION pid: 1 tid: 2 msg_id: 0 initiation { entityId: \"e\" } "
      "hasJavaSpecificFields: 0"));
  check(from_protoc && from_protoc->type == RequestType::initiation && from_protoc->initiation_entity_id == "e",
        "nmz decodes protoc's INITIATION");
  if (failures == 0) std::cout << "nmz's PB codec agrees with protoc\n";
  return failures == 0 ? 0 : 1;
}
