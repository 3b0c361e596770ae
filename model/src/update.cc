#include "stash/update.h"

#include <cstdio>

namespace stash {

std::string printable(const Bytes& bytes) {
  std::string out;
  for (unsigned char ch : bytes) {
    if (ch >= 0x20 && ch < 0x7F && ch != '\\') {
      out.push_back(static_cast<char>(ch));
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02X", ch);
      out += escaped;
    }
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const CollectionHandle& c) {
  return os << "c" << c.id;
}

std::ostream& operator<<(std::ostream& os, const Update& u) {
  return os << "((" << printable(u.key) << ", " << printable(u.value) << "), "
            << u.time << ", " << u.diff << ")";
}

std::ostream& operator<<(std::ostream& os, const ValueUpdate& u) {
  return os << "(" << printable(u.value) << ", " << u.time << ", " << u.diff << ")";
}

std::ostream& operator<<(std::ostream& os, const PeekEntry& e) {
  return os << "(" << printable(e.key) << ", " << printable(e.value) << ", "
            << e.diff << ")";
}

std::ostream& operator<<(std::ostream& os, const NamedCollection& c) {
  return os << printable(c.name);
}

}  // namespace stash
