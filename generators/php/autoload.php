<?php
// A PSR-4 autoloader for the generated client's namespace, standing in for Composer's
// (Composer packages are not reachable offline). Guzzle and the PSR interfaces are not
// installed: the models and ObjectSerializer::deserialize do not need them, and
// SessionsApi only names them in `use` lines and parameter types, which PHP does not
// load when the class is declared.
declare(strict_types=1);

function klarna_generated_php_client_autoload(string $lib): void
{
    spl_autoload_register(function (string $class) use ($lib): void {
        $prefix = 'OpenAPI\\Client\\';
        if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
            return;
        }
        $file = $lib . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    });
}
