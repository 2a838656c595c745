/* pbjson.h — print any protobuf-c message as JSON or as flat path=value lines (via its descriptor). */
#ifndef COLLECTOR_PBJSON_H
#define COLLECTOR_PBJSON_H

#include <stdbool.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

/* JSON; maps become objects, int64/uint64 are printed as JSON numbers (exact digits) */
extern void pb_print_json(FILE *f, const ProtobufCMessage *m, bool pretty);

/* one line per scalar: shapes.0.calls=37 (repeated: index; map: key) */
extern void pb_print_flat(FILE *f, const ProtobufCMessage *m);

#endif
