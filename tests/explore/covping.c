// SPDX-License-Identifier: Apache-2.0
// covping: a TCP ping server and its client, the small C target of
// tests/explore/coverage_reward_test.sh, built there with gcc --coverage.
//   covping server ADDR PORT          answers "PING n" with "PONG n", "STAT"
//                                     with "STAT pings=n", until "BYE"
//   covping client ADDR PORT N [stat] N pings, then STAT when asked
// STAT is a branch of the server that only the runs asking for it cover.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in address_of(const char* ip, const char* port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(port));
  if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
    fprintf(stderr, "covping: bad address %s\n", ip);
    exit(2);
  }
  return a;
}

static int serve(const char* ip, const char* port) {
  struct sockaddr_in a = address_of(ip, port);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int yes = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (bind(listener, (struct sockaddr*)&a, sizeof a) != 0 || listen(listener, 1) != 0) {
    perror("covping server: bind/listen");
    return 2;
  }
  int fd = accept(listener, NULL, NULL);
  if (fd < 0) {
    perror("covping server: accept");
    return 2;
  }
  FILE* in = fdopen(fd, "r");
  FILE* out = fdopen(dup(fd), "w");
  char line[128];
  int pings = 0;
  while (fgets(line, sizeof line, in) != NULL) {
    if (strncmp(line, "PING ", 5) == 0) {
      ++pings;
      fprintf(out, "PONG %s", line + 5);
    } else if (strncmp(line, "STAT", 4) == 0) {
      fprintf(out, "STAT pings=%d\n", pings);
    } else if (strncmp(line, "BYE", 3) == 0) {
      break;
    } else {
      fprintf(out, "ERROR\n");
    }
    fflush(out);
  }
  fclose(out);
  fclose(in);
  close(listener);
  return 0;
}

static int ping(const char* ip, const char* port, int rounds, int stat) {
  struct sockaddr_in a = address_of(ip, port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    perror("covping client: connect");
    return 2;
  }
  FILE* in = fdopen(fd, "r");
  FILE* out = fdopen(dup(fd), "w");
  char line[128];
  for (int i = 0; i < rounds + stat; ++i) {
    if (i < rounds) {
      fprintf(out, "PING %d\n", i);
    } else {
      fprintf(out, "STAT\n");
    }
    fflush(out);
    if (fgets(line, sizeof line, in) == NULL) {
      fprintf(stderr, "covping client: the server closed the connection\n");
      return 1;
    }
  }
  printf("last answer: %s", line);
  fprintf(out, "BYE\n");
  fclose(out);
  fclose(in);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 4 && strcmp(argv[1], "server") == 0) return serve(argv[2], argv[3]);
  if (argc >= 5 && strcmp(argv[1], "client") == 0) {
    return ping(argv[2], argv[3], atoi(argv[4]), argc >= 6 && strcmp(argv[5], "stat") == 0);
  }
  fprintf(stderr, "usage: covping server ADDR PORT | covping client ADDR PORT N [stat]\n");
  return 2;
}
