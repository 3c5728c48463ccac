"""Code generation: checked specs -> Python source (`pyexpr` turns expressions
into Python expressions; generated code imports only `racesdsl.runtime`)."""
