# cmake -DSOURCE_DIR=... -P check_doc_paths.cmake
# Fails unless every repository path the docs and the code's comments name
# exists: each `model/...`, `impl/...`, `properties/...`, `tools/...`,
# `benchmarks/...`, `examples/...`, `docs/...`, `ci/...` or `cmake/...`
# token in the Markdown files, the C++ sources, the CMake files and the ci/
# scripts must be a file or folder of the tree, or a program built in that
# folder (`benchmarks/stash_bench`). Placeholders (`impl/<backend>/`),
# paths made from variables (`ci/with-$name`) and paths under build/ are
# not paths of the tree and are not matched. Run by
# ctest as docs_paths_exist.
cmake_minimum_required(VERSION 3.25)
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "check_doc_paths.cmake: SOURCE_DIR is not set")
endif()

set(tops model impl properties tools benchmarks examples docs ci cmake)
set(globs ${SOURCE_DIR}/*.md ${SOURCE_DIR}/CMakeLists.txt ${SOURCE_DIR}/ci/*)
foreach(top ${tops})
  list(APPEND globs ${SOURCE_DIR}/${top}/*.md ${SOURCE_DIR}/${top}/*.cc ${SOURCE_DIR}/${top}/*.h
       ${SOURCE_DIR}/${top}/*CMakeLists.txt ${SOURCE_DIR}/${top}/*.cmake ${SOURCE_DIR}/${top}/*.py)
endforeach()
file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE ${SOURCE_DIR} ${globs})
list(FILTER files EXCLUDE REGEX "^build/|/corpus/")

string(JOIN "|" top_alternatives ${tops})
set(missing "")
set(checked 0)
foreach(file ${files})
  file(READ ${SOURCE_DIR}/${file} text)
  string(PREPEND text "\n")
  # A path starts after a character that cannot be part of one (so
  # build/dev/benchmarks/x and x.benchmarks/ are not matched).
  string(REGEX MATCHALL "[^A-Za-z0-9_./<>-](${top_alternatives})/[A-Za-z0-9_.+/-]*[A-Za-z0-9_][$-]?"
         found "${text}")
  foreach(match ${found})
    string(SUBSTRING "${match}" 1 -1 path)
    # Built from a shell or CMake variable (ci/with-$name): not a path.
    if(path MATCHES "[$-]$")
      continue()
    endif()
    math(EXPR checked "${checked} + 1")
    if(EXISTS ${SOURCE_DIR}/${path})
      continue()
    endif()
    # A program built in that folder: add_executable(NAME or stash_test(NAME.
    get_filename_component(dir ${path} DIRECTORY)
    get_filename_component(name ${path} NAME)
    if(EXISTS ${SOURCE_DIR}/${dir}/CMakeLists.txt)
      file(READ ${SOURCE_DIR}/${dir}/CMakeLists.txt cmake_text)
      if(cmake_text MATCHES "(add_executable|stash_test|stash_benchmark)\\([ \t\n]*${name}[ \t\n)]")
        continue()
      endif()
    endif()
    list(APPEND missing "${file}: ${path}")
  endforeach()
endforeach()

if(missing)
  list(REMOVE_DUPLICATES missing)
  string(REPLACE ";" "\n  " missing "${missing}")
  message(FATAL_ERROR "paths named in docs or comments that do not exist:\n  ${missing}")
endif()
list(LENGTH files file_count)
message(STATUS "${checked} path references in ${file_count} files: all exist")
