# Runs examples/custom_backend the way an outside backend author would:
# installs this build of stash into a private prefix, then configures, builds
# and tests the example against it with find_package(stash).
#
#   cmake -DSTASH_BUILD_DIR=... -DEXAMPLE_SOURCE_DIR=... -DWORK_DIR=... -P run_as_downstream.cmake
foreach(var STASH_BUILD_DIR EXAMPLE_SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_as_downstream.cmake: ${var} is not set")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(example_build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})

function(run_step what)
  message(STATUS "== ${what}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (exit ${rc})")
  endif()
endfunction()

run_step("install stash into ${prefix}"
  ${CMAKE_COMMAND} --install ${STASH_BUILD_DIR} --prefix ${prefix})
run_step("configure the example against the installed package"
  ${CMAKE_COMMAND} -S ${EXAMPLE_SOURCE_DIR} -B ${example_build}
  -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=RelWithDebInfo)
run_step("build the example" ${CMAKE_COMMAND} --build ${example_build} -j 2)
run_step("run the kit against the example's backend"
  ${CMAKE_CTEST_COMMAND} --test-dir ${example_build} --output-on-failure)
