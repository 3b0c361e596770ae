# Makes `find_package(stash)` work for downstream projects after
# `cmake --install`.
include(CMakePackageConfigHelpers)

install(DIRECTORY model/include/stash DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS ${STASH_INSTALL_TARGETS} EXPORT stashTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT stashTargets NAMESPACE stash::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/stash)
configure_package_config_file(cmake/stashConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/stashConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/stash)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/stashConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/stashConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/stashConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/stash)
