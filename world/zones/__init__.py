"""Plaza's own zones, registered under the ``plaza.zones`` entry point group like any other."""
