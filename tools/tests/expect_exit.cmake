# cmake -DPROGRAM=... -DEXPECTED_EXIT=N -DARGS="a;b;c" -P expect_exit.cmake
# Runs PROGRAM with ARGS, shows its output, and fails unless it exits with
# exactly EXPECTED_EXIT.
execute_process(COMMAND ${PROGRAM} ${ARGS} RESULT_VARIABLE exit_code)
if(NOT exit_code STREQUAL EXPECTED_EXIT)
  message(FATAL_ERROR "`${PROGRAM} ${ARGS}` exited with ${exit_code}, expected ${EXPECTED_EXIT}")
endif()
