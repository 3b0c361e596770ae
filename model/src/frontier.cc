#include "stash/frontier.h"

namespace stash {

std::strong_ordering operator<=>(const Frontier& a, const Frontier& b) {
  // {} is the top element; two finite frontiers compare by their elements.
  // (Compare emptiness itself: an empty frontier is after a finite one.)
  if (a.is_empty() || b.is_empty()) return a.is_empty() <=> b.is_empty();
  return *a.element() <=> *b.element();
}

std::string Frontier::to_string() const {
  if (is_empty()) return "{}";
  return "{" + std::to_string(*element_) + "}";
}

std::ostream& operator<<(std::ostream& os, const Frontier& f) {
  return os << f.to_string();
}

}  // namespace stash
