"""The compiler: autodiff, passes, scheduling and one code generator per target."""
