// Packet parsing (5-tuple, RTP) and the fate log's NDJSON form, shared by the data plane and the
// virtual-time LinkModel so that both write byte-identical records.
#include <cstdio>
#include <cstring>

#include "link_model.h"

namespace glasslab::link {

namespace {

void AppendIp(std::string& s, const uint8_t* a, bool v6) {
  char buf[64];
  if (!v6) {
    snprintf(buf, sizeof buf, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
  } else {
    int n = 0;
    for (int i = 0; i < 16; i += 2) n += snprintf(buf + n, sizeof buf - n, i ? ":%x" : "%x", (a[i] << 8) | a[i + 1]);
  }
  s += buf;
}

const char* ProtoName(uint8_t p) {
  switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmpv6";
    default: return nullptr;
  }
}

void AppendMs(std::string& out, int64_t ns) {
  char buf[40];
  // ms with ns resolution, fixed format so logs compare byte by byte
  snprintf(buf, sizeof buf, "%lld.%06lld", (long long)(ns / 1000000), (long long)(ns % 1000000));
  out += buf;
}

}  // namespace

PacketInfo ParsePacket(const uint8_t* d, size_t n) {
  PacketInfo info;
  if (n < 1) return info;
  size_t l4 = 0;
  uint8_t version = d[0] >> 4;
  if (version == 4 && n >= 20) {
    size_t ihl = (d[0] & 0x0f) * 4;
    if (ihl < 20 || ihl > n) return info;
    info.ipVersion = 4;
    info.proto = d[9];
    memcpy(info.src, d + 12, 4);
    memcpy(info.dst, d + 16, 4);
    bool fragment = ((d[6] & 0x1f) | d[7]) != 0;  // non-first fragments carry no ports
    if (fragment) return info;
    l4 = ihl;
  } else if (version == 6 && n >= 40) {
    info.ipVersion = 6;
    info.proto = d[6];
    memcpy(info.src, d + 8, 16);
    memcpy(info.dst, d + 24, 16);
    l4 = 40;
  } else {
    return info;
  }
  if ((info.proto == 6 || info.proto == 17) && n >= l4 + 8) {
    info.hasPorts = true;
    info.sport = (d[l4] << 8) | d[l4 + 1];
    info.dport = (d[l4 + 2] << 8) | d[l4 + 3];
  }
  if (info.proto == 17 && n >= l4 + 8 + 12) {
    const uint8_t* r = d + l4 + 8;
    uint8_t pt = r[1] & 0x7f;
    // RTP version 2; payload types 64..95 are RTCP's range (RFC 5761), not RTP
    if ((r[0] >> 6) == 2 && !(pt >= 64 && pt <= 95)) {
      info.isRtp = true;
      info.pt = pt;
      info.seq = (r[2] << 8) | r[3];
      info.ssrc = ((uint32_t)r[8] << 24) | (r[9] << 16) | (r[10] << 8) | r[11];
    }
  }
  return info;
}

void AppendFateJson(std::string& out, const Fate& f, const char* dir) {
  char buf[96];
  out += "{\"type\":\"fate\",\"side\":\"link\",\"dir\":\"";
  out += dir;
  snprintf(buf, sizeof buf, "\",\"id\":%llu,\"size\":%u", (unsigned long long)f.id, f.size);
  out += buf;
  const PacketInfo& i = f.info;
  if (i.ipVersion) {
    const char* name = ProtoName(i.proto);
    if (name) {
      out += ",\"proto\":\"";
      out += name;
      out += "\"";
    } else {
      snprintf(buf, sizeof buf, ",\"proto\":\"%u\"", i.proto);
      out += buf;
    }
    out += ",\"src\":\"";
    AppendIp(out, i.src, i.ipVersion == 6);
    out += "\",\"dst\":\"";
    AppendIp(out, i.dst, i.ipVersion == 6);
    out += "\"";
    if (i.hasPorts) {
      snprintf(buf, sizeof buf, ",\"sport\":%u,\"dport\":%u", i.sport, i.dport);
      out += buf;
    }
    if (i.isRtp) {
      snprintf(buf, sizeof buf, ",\"ssrc\":%u,\"seq\":%u,\"pt\":%u", i.ssrc, i.seq, i.pt);
      out += buf;
    }
  }
  if (f.readNs >= 0) {
    out += ",\"readMs\":";
    AppendMs(out, f.readNs);
  }
  out += ",\"enqueueMs\":";
  AppendMs(out, f.enqueueNs);
  if (f.drop != DropReason::None) {
    static const char* names[] = {"", "loss", "queue", "mtu", "shutdown", "write-error"};
    out += ",\"drop\":\"";
    out += names[static_cast<int>(f.drop)];
    out += "\"";
  } else {
    out += ",\"releaseMs\":";
    AppendMs(out, f.releaseNs);
    if (f.wireNs >= 0) {
      out += ",\"wireMs\":";
      AppendMs(out, f.wireNs);
    }
  }
  if (f.duplicate) out += ",\"duplicate\":true";
  if (f.reordered) out += ",\"reordered\":true";
  if (f.corruptBit >= 0) {
    snprintf(buf, sizeof buf, ",\"corruptBit\":%d", f.corruptBit);
    out += buf;
  }
  out += "}\n";
}

}  // namespace glasslab::link
