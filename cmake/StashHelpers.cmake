# Small helpers so each folder's CMakeLists.txt lists only its own sources.

set(STASH_WARNINGS -Wall -Wextra)
# An ignored Result or Status (both [[nodiscard]]) is a bug: fail the build.
add_compile_options(-Werror=unused-result)

# stash_library(NAME SOURCES ... DEPS ... [INCLUDE_DIR dir] [HEADERS ...]):
# a static library whose public headers live in the folder's include/ (or
# INCLUDE_DIR, relative to the folder). HEADERS names the headers it owns,
# relative to that directory (default: all of it), for stash_install_library.
function(stash_library name)
  cmake_parse_arguments(ARG "" "INCLUDE_DIR" "SOURCES;DEPS;HEADERS" ${ARGN})
  if(NOT ARG_INCLUDE_DIR)
    set(ARG_INCLUDE_DIR include)
  endif()
  add_library(${name} STATIC ${ARG_SOURCES})
  add_library(stash::${name} ALIAS ${name})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/${ARG_INCLUDE_DIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_options(${name} PRIVATE ${STASH_WARNINGS})
  target_compile_features(${name} PUBLIC cxx_std_23)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES
    STASH_INCLUDE_DIR ${CMAKE_CURRENT_SOURCE_DIR}/${ARG_INCLUDE_DIR}
    STASH_HEADERS "${ARG_HEADERS}")
endfunction()

# stash_install_library(NAME): installs a stash_library and its own public
# headers, and adds it to the exported CMake package (stash::NAME) and the
# pkg-config file (cmake/StashInstall.cmake).
function(stash_install_library name)
  get_target_property(dir ${name} STASH_INCLUDE_DIR)
  get_target_property(headers ${name} STASH_HEADERS)
  if(headers)
    foreach(header ${headers})
      get_filename_component(subdir ${header} DIRECTORY)
      install(FILES ${dir}/${header} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${subdir})
    endforeach()
  else()
    install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()
  install(TARGETS ${name} EXPORT stashTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  set_property(GLOBAL APPEND PROPERTY STASH_INSTALLED_LIBRARIES ${name})
endfunction()

# stash_test(NAME SOURCES ... DEPS ... [LABELS ...]): one GoogleTest program,
# registered with CTest as one test so ctest's summary counts programs.
function(stash_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${STASH_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()
