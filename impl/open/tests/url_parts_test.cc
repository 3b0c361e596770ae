// The URL pieces stash::open shares: options after '?', and the stash
// options inside a PostgreSQL connection string.
#include "url_parts.h"

#include <gtest/gtest.h>

namespace stash::url {
namespace {

TEST(SplitOptions, PathAndDecodedOptions) {
  auto p = split_options("u", "/a/b.stash?synchronous=off&busy_timeout_ms=1%30");
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->path, "/a/b.stash");
  EXPECT_EQ(p->options.at("synchronous"), "off");
  EXPECT_EQ(p->options.at("busy_timeout_ms"), "10");
  auto plain = split_options("u", "/a/b");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->path, "/a/b");
  EXPECT_TRUE(plain->options.empty());
}

TEST(SplitOptions, MalformedOptions) {
  for (const char* bad : {"p?", "p?=1", "p?a", "p?a=1&", "p?a=1&a=2", "p?a=%", "p?a=%zz"}) {
    auto p = split_options("u", bad);
    ASSERT_FALSE(p.has_value()) << bad;
    EXPECT_EQ(p.error().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(SplitPostgresDsn, KeywordFormTakesOutStashOptions) {
  auto d = split_postgres_dsn("u", "host=/tmp  schema = 'my schema' dbname=x statement_timeout_ms=5");
  ASSERT_TRUE(d.has_value()) << d.error();
  EXPECT_EQ(d->conninfo, "host=/tmp dbname=x");
  EXPECT_EQ(d->stash_options.at("schema"), "my schema");
  EXPECT_EQ(d->stash_options.at("statement_timeout_ms"), "5");
}

TEST(SplitPostgresDsn, KeywordFormKeepsOtherValuesVerbatim) {
  auto d = split_postgres_dsn("u", "password='a b\\'c' host=/tmp application_name=x\\ y");
  ASSERT_TRUE(d.has_value()) << d.error();
  EXPECT_EQ(d->conninfo, "password='a b\\'c' host=/tmp application_name=x\\ y");
  EXPECT_TRUE(d->stash_options.empty());
}

TEST(SplitPostgresDsn, UriFormTakesOutStashQueryParameters) {
  auto d = split_postgres_dsn("u", "postgres://me@h/db?sslmode=disable&schema=s%20t&x=1");
  ASSERT_TRUE(d.has_value()) << d.error();
  EXPECT_EQ(d->conninfo, "postgres://me@h/db?sslmode=disable&x=1");
  EXPECT_EQ(d->stash_options.at("schema"), "s t");
  auto only = split_postgres_dsn("u", "postgresql://h/db?schema=a");
  ASSERT_TRUE(only.has_value());
  EXPECT_EQ(only->conninfo, "postgresql://h/db");
}

TEST(SplitPostgresDsn, Malformed) {
  for (const char* bad : {"host", "host=/tmp =x", "host='x", "schema=a schema=b"}) {
    auto d = split_postgres_dsn("u", bad);
    ASSERT_FALSE(d.has_value()) << bad;
    EXPECT_EQ(d.error().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace stash::url
