# Installs this build of stash into a private prefix, then compiles
# consumer.cc with `pkg-config --cflags --libs stash` alone and runs it.
#
#   cmake -DSTASH_BUILD_DIR=... -DEXAMPLE_SOURCE_DIR=... -DWORK_DIR=... -DCXX=... -P run_with_pkg_config.cmake
foreach(var STASH_BUILD_DIR EXAMPLE_SOURCE_DIR WORK_DIR CXX)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_with_pkg_config.cmake: ${var} is not set")
  endif()
endforeach()
set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run_step what)
  message(STATUS "== ${what}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message("${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (exit ${rc})")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

run_step("install stash into ${prefix}"
  ${CMAKE_COMMAND} --install ${STASH_BUILD_DIR} --prefix ${prefix})
file(GLOB_RECURSE pc_files ${prefix}/*/stash.pc)
if(NOT pc_files)
  message(FATAL_ERROR "no stash.pc under ${prefix}")
endif()
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir ${pc_file} DIRECTORY)
run_step("pkg-config --cflags --libs stash"
  ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pc_dir} pkg-config --cflags --libs stash)
string(STRIP "${step_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run_step("compile consumer.cc with those flags only"
  ${CXX} -std=c++23 ${EXAMPLE_SOURCE_DIR}/consumer.cc ${flags} -o ${WORK_DIR}/consumer)
run_step("run it (memory:)" ${WORK_DIR}/consumer)
run_step("run it (memory:DIR)" ${WORK_DIR}/consumer ${WORK_DIR}/store)
