# cmake -DSOURCE_DIR=... -P check_spec_tests.cmake
# Fails unless every test docs/spec.md cites exists: each `Suite.Test` name
# (a test defined with TEST, TEST_F, TEST_P or RC_GTEST_PROP somewhere in the
# sources; `Suite.Prefix_*` or `Suite.Prefix_` matches any test so named)
# and each `name_test.cc` file. Run by ctest as docs_spec_tests_exist.
cmake_minimum_required(VERSION 3.25)
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "check_spec_tests.cmake: SOURCE_DIR is not set")
endif()
file(READ ${SOURCE_DIR}/docs/spec.md spec)

file(GLOB_RECURSE sources RELATIVE ${SOURCE_DIR}
  ${SOURCE_DIR}/model/*.cc ${SOURCE_DIR}/impl/*.cc ${SOURCE_DIR}/properties/*.cc
  ${SOURCE_DIR}/tools/*.cc ${SOURCE_DIR}/examples/*.cc)
set(defined "")
set(files "")
foreach(source ${sources})
  get_filename_component(name ${source} NAME)
  list(APPEND files ${name})
  file(READ ${SOURCE_DIR}/${source} text)
  # TEST(Suite, Name) and friends, possibly over two lines.
  string(REGEX MATCHALL "(TEST|TEST_F|TEST_P|RC_GTEST_PROP|RC_GTEST_FIXTURE_PROP)\\([ \t\r\n]*[A-Za-z0-9_]+,[ \t\r\n]*[A-Za-z0-9_]+"
         found "${text}")
  foreach(f ${found})
    string(REGEX REPLACE "^[A-Z_]+\\([ \t\r\n]*([A-Za-z0-9_]+),[ \t\r\n]*([A-Za-z0-9_]+)$" "\\1.\\2" id "${f}")
    list(APPEND defined ${id})
  endforeach()
endforeach()

set(missing "")
string(REGEX MATCHALL "[A-Z][A-Za-z0-9]*\\.[A-Z][A-Za-z0-9_]*\\*?" cited "${spec}")
list(REMOVE_DUPLICATES cited)
list(REMOVE_ITEM cited Suite.Test)  # the spec's own "file: Suite.Test" legend
list(LENGTH cited cited_count)
foreach(name ${cited})
  if(name MATCHES "^(.*_)\\*?$")
    # A prefix: some defined test must start with it.
    set(prefix ${CMAKE_MATCH_1})
    set(ok FALSE)
    foreach(d ${defined})
      string(FIND "${d}" "${prefix}" at)
      if(at EQUAL 0)
        set(ok TRUE)
        break()
      endif()
    endforeach()
    if(NOT ok)
      list(APPEND missing ${name})
    endif()
  elseif(NOT name IN_LIST defined)
    list(APPEND missing ${name})
  endif()
endforeach()

string(REGEX MATCHALL "[a-z0-9_]+_test\\.cc" cited_files "${spec}")
list(REMOVE_DUPLICATES cited_files)
foreach(name ${cited_files})
  if(NOT name IN_LIST files)
    list(APPEND missing ${name})
  endif()
endforeach()

if(missing)
  string(REPLACE ";" "\n  " missing "${missing}")
  message(FATAL_ERROR "docs/spec.md cites tests that do not exist:\n  ${missing}")
endif()
list(LENGTH cited_files file_count)
message(STATUS "docs/spec.md: all ${cited_count} cited test names and ${file_count} test files exist")
