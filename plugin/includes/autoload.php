<?php
/**
 * Loads Sluice\Some_Class from includes/class-some-class.php (WordPress file naming).
 *
 * @package Sluice
 */

defined( 'ABSPATH' ) || exit;

spl_autoload_register(
	static function ( string $class_name ): void {
		$prefix = 'Sluice\\';
		if ( ! str_starts_with( $class_name, $prefix ) ) {
			return;
		}
		$name = strtolower( str_replace( '_', '-', substr( $class_name, strlen( $prefix ) ) ) );
		foreach ( array( 'class', 'interface' ) as $kind ) {
			$file = __DIR__ . "/{$kind}-{$name}.php";
			if ( is_readable( $file ) ) {
				require $file;
				return;
			}
		}
	}
);
